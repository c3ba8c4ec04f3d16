// Static reference data: 50 ISO 4217 currencies in the web client's priority order (the most
// used first), each with its principal country (null for the euro, used by many).
import { COUNTRY_BY_ALPHA2, flagEmoji } from './countries.ts';

export interface CurrencyOut {
  code: string;
  name: string;
  symbol: string;
  numeric: string;
  country: { name: string; alpha_2: string; alpha_3: string; flag_emoji: string } | null;
}

// [code, name, symbol, ISO numeric, country alpha-2 or '']
const ROWS: [string, string, string, string, string][] = [
  ['USD', 'US Dollar', '$', '840', 'US'],
  ['EUR', 'Euro', '€', '978', ''],
  ['GBP', 'Pound Sterling', '£', '826', 'GB'],
  ['JPY', 'Yen', '¥', '392', 'JP'],
  ['CNY', 'Yuan Renminbi', '¥', '156', 'CN'],
  ['AUD', 'Australian Dollar', 'A$', '036', 'AU'],
  ['CAD', 'Canadian Dollar', 'C$', '124', 'CA'],
  ['CHF', 'Swiss Franc', 'CHF', '756', 'CH'],
  ['NPR', 'Nepalese Rupee', 'रू', '524', 'NP'],
  ['INR', 'Indian Rupee', '₹', '356', 'IN'],
  ['AED', 'UAE Dirham', 'د.إ', '784', 'AE'],
  ['SAR', 'Saudi Riyal', '﷼', '682', 'SA'],
  ['QAR', 'Qatari Rial', '﷼', '634', 'QA'],
  ['KWD', 'Kuwaiti Dinar', 'د.ك', '414', 'KW'],
  ['BHD', 'Bahraini Dinar', '.د.ب', '048', 'BH'],
  ['OMR', 'Rial Omani', '﷼', '512', 'OM'],
  ['SGD', 'Singapore Dollar', 'S$', '702', 'SG'],
  ['HKD', 'Hong Kong Dollar', 'HK$', '344', 'HK'],
  ['MYR', 'Malaysian Ringgit', 'RM', '458', 'MY'],
  ['THB', 'Baht', '฿', '764', 'TH'],
  ['IDR', 'Rupiah', 'Rp', '360', 'ID'],
  ['PHP', 'Philippine Peso', '₱', '608', 'PH'],
  ['VND', 'Dong', '₫', '704', 'VN'],
  ['KRW', 'Won', '₩', '410', 'KR'],
  ['TWD', 'New Taiwan Dollar', 'NT$', '901', 'TW'],
  ['BDT', 'Taka', '৳', '050', 'BD'],
  ['PKR', 'Pakistan Rupee', '₨', '586', 'PK'],
  ['LKR', 'Sri Lanka Rupee', 'Rs', '144', 'LK'],
  ['BTN', 'Ngultrum', 'Nu.', '064', 'BT'],
  ['MVR', 'Rufiyaa', 'Rf', '462', 'MV'],
  ['NZD', 'New Zealand Dollar', 'NZ$', '554', 'NZ'],
  ['SEK', 'Swedish Krona', 'kr', '752', 'SE'],
  ['NOK', 'Norwegian Krone', 'kr', '578', 'NO'],
  ['DKK', 'Danish Krone', 'kr', '208', 'DK'],
  ['PLN', 'Zloty', 'zł', '985', 'PL'],
  ['CZK', 'Czech Koruna', 'Kč', '203', 'CZ'],
  ['HUF', 'Forint', 'Ft', '348', 'HU'],
  ['RON', 'Romanian Leu', 'lei', '946', 'RO'],
  ['TRY', 'Turkish Lira', '₺', '949', 'TR'],
  ['RUB', 'Russian Ruble', '₽', '643', 'RU'],
  ['UAH', 'Hryvnia', '₴', '980', 'UA'],
  ['ILS', 'New Israeli Sheqel', '₪', '376', 'IL'],
  ['EGP', 'Egyptian Pound', 'E£', '818', 'EG'],
  ['ZAR', 'Rand', 'R', '710', 'ZA'],
  ['NGN', 'Naira', '₦', '566', 'NG'],
  ['KES', 'Kenyan Shilling', 'KSh', '404', 'KE'],
  ['BRL', 'Brazilian Real', 'R$', '986', 'BR'],
  ['MXN', 'Mexican Peso', 'Mex$', '484', 'MX'],
  ['ARS', 'Argentine Peso', '$', '032', 'AR'],
  ['CLP', 'Chilean Peso', '$', '152', 'CL'],
];

export const CURRENCIES: readonly CurrencyOut[] = ROWS.map(([code, name, symbol, numeric, alpha2]) => {
  const c = alpha2 ? COUNTRY_BY_ALPHA2.get(alpha2) : undefined;
  return { code, name, symbol, numeric, country: c ? { name: c.name, alpha_2: c.alpha_2, alpha_3: c.alpha_3, flag_emoji: flagEmoji(c.alpha_2) } : null };
});
