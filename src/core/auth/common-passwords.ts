// Frequently used passwords (lower case), compiled from general knowledge of public
// breach top-lists. Deliberately short: it catches the obvious choices cheaply.
export const COMMON_PASSWORDS: Set<string> = new Set([
  // Digit and keyboard sequences
  '123456', '1234567', '12345678', '123456789', '1234567890', '12345678910', '123123',
  '123123123', '111111', '000000', '11111111', '00000000', '121212', '123321', '654321',
  '666666', '696969', '777777', '7777777', '888888', '112233', '987654321', '1q2w3e',
  '1q2w3e4r', '1q2w3e4r5t', '1qaz2wsx', '1qaz2wsx3edc', 'zaq12wsx', 'zaq1zaq1', 'qwerty',
  'qwerty123', 'qwerty1', 'qwertyuiop', 'qwertyui', 'qwerty12345', 'asdfgh', 'asdfghjkl',
  'asdf1234', 'zxcvbnm', 'zxcvbn', 'qazwsx', 'qweasd', 'qweasdzxc', 'q1w2e3r4', 'q1w2e3r4t5',
  'abc123', 'abcd1234', 'abcdef', 'abcdefg', 'abcdefgh', 'a1b2c3', 'aa123456', 'aaaaaa',
  '1234qwer', 'qwer1234', '147258369', '159753', '123654', '789456123', '11223344',
  // "password" and friends
  'password', 'password1', 'password12', 'password123', 'password123!', 'password1!',
  'password!', 'passw0rd', 'p@ssw0rd', 'p@ssword', 'p@ssw0rd1', 'p@ssw0rd123', 'pass123',
  'pass1234', 'passpass', 'mypassword', 'newpassword', 'changeme', 'changeme123', 'secret',
  'secret123', 'letmein', 'letmein1', 'letmein123', 'welcome', 'welcome1', 'welcome123',
  'welcome2024', 'welcome2025', 'default', 'temp123', 'temppass', 'test', 'test123',
  'test1234', 'testing', 'testtest', 'guest', 'login', 'access', 'master', 'trustno1',
  'whatever', 'nothing', 'iloveyou', 'iloveyou1', 'loveyou', 'lovely', 'love', 'mylove',
  // Admin / service accounts
  'admin', 'admin1', 'admin123', 'admin1234', 'admin@123', 'administrator', 'root', 'toor',
  'root123', 'superuser', 'super123', 'sysadmin', 'user', 'user123', 'demo', 'system',
  // Seasons and months
  'summer', 'summer2024', 'summer2025', 'winter', 'winter2024', 'spring', 'autumn',
  'january', 'february', 'december', 'monday', 'friday',
  // Names and words
  'monkey', 'dragon', 'football', 'baseball', 'basketball', 'soccer', 'hockey', 'golf',
  'shadow', 'master123', 'sunshine', 'princess', 'superman', 'batman', 'spiderman',
  'starwars', 'pokemon', 'michael', 'jennifer', 'jordan', 'jordan23', 'michelle', 'daniel',
  'jessica', 'ashley', 'charlie', 'thomas', 'robert', 'matthew', 'andrew', 'joshua',
  'hunter', 'hunter2', 'ranger', 'buster', 'tigger', 'ginger', 'pepper', 'cookie',
  'chocolate', 'cheese', 'banana', 'orange', 'purple', 'freedom', 'flower', 'hello',
  'hello123', 'helloworld', 'killer', 'soccer1', 'computer', 'internet', 'google', 'samsung',
  'apple', 'iphone', 'facebook', 'linkedin', 'microsoft', 'windows', 'mustang', 'ferrari',
  'corvette', 'harley', 'yankees', 'liverpool', 'chelsea', 'arsenal', 'barcelona',
  'maverick', 'matrix', 'thunder', 'tiger', 'lakers', 'dallas', 'austin', 'london',
  'blink182', 'metallica', 'qwerty!', 'zaq!2wsx', 'angel', 'angels', 'babygirl', 'baby',
  'family', 'friends', 'happy', 'lucky', 'money', 'naruto', 'nicole', 'jesus', 'blessed',
  'america', 'canada', 'australia', 'business', 'company', 'office', 'payment', 'sales',
  'finance', 'invoice', 'prs', 'prs123',
]);
