// Static reference data: common countries with ISO 3166 codes, calling codes and demonyms, for
// the web client's phone inputs and client forms. A curated table of frequent countries rather
// than all 249 ISO entries: it needs no dependency and covers the organisation's markets; a
// country missing here can still be typed as free text by the client forms.

export interface Country {
  name: string;
  alpha_2: string;
  alpha_3: string;
  numeric: string;
  calling_code: string;
  nationality: string;
  is_popular: boolean;
}

/** Regional-indicator pair for an ISO alpha-2 code: 'NP' → 🇳🇵. */
export function flagEmoji(alpha2: string): string {
  return String.fromCodePoint(...[...alpha2.toUpperCase()].map((c) => 0x1f1e6 + c.charCodeAt(0) - 65));
}

// [alpha-2, alpha-3, numeric, name, calling code, demonym]
type Row = [string, string, string, string, string, string];
const ROWS: Row[] = [
  ['NP', 'NPL', '524', 'Nepal', '+977', 'Nepalese'],
  ['IN', 'IND', '356', 'India', '+91', 'Indian'],
  ['US', 'USA', '840', 'United States', '+1', 'American'],
  ['GB', 'GBR', '826', 'United Kingdom', '+44', 'British'],
  ['AU', 'AUS', '036', 'Australia', '+61', 'Australian'],
  ['CA', 'CAN', '124', 'Canada', '+1', 'Canadian'],
  ['AE', 'ARE', '784', 'United Arab Emirates', '+971', 'Emirati'],
  ['CN', 'CHN', '156', 'China', '+86', 'Chinese'],
  ['JP', 'JPN', '392', 'Japan', '+81', 'Japanese'],
  ['DE', 'DEU', '276', 'Germany', '+49', 'German'],
  ['AF', 'AFG', '004', 'Afghanistan', '+93', 'Afghan'],
  ['AR', 'ARG', '032', 'Argentina', '+54', 'Argentine'],
  ['AT', 'AUT', '040', 'Austria', '+43', 'Austrian'],
  ['BD', 'BGD', '050', 'Bangladesh', '+880', 'Bangladeshi'],
  ['BE', 'BEL', '056', 'Belgium', '+32', 'Belgian'],
  ['BH', 'BHR', '048', 'Bahrain', '+973', 'Bahraini'],
  ['BR', 'BRA', '076', 'Brazil', '+55', 'Brazilian'],
  ['BT', 'BTN', '064', 'Bhutan', '+975', 'Bhutanese'],
  ['CH', 'CHE', '756', 'Switzerland', '+41', 'Swiss'],
  ['CL', 'CHL', '152', 'Chile', '+56', 'Chilean'],
  ['CO', 'COL', '170', 'Colombia', '+57', 'Colombian'],
  ['CZ', 'CZE', '203', 'Czechia', '+420', 'Czech'],
  ['DK', 'DNK', '208', 'Denmark', '+45', 'Danish'],
  ['EG', 'EGY', '818', 'Egypt', '+20', 'Egyptian'],
  ['ES', 'ESP', '724', 'Spain', '+34', 'Spanish'],
  ['ET', 'ETH', '231', 'Ethiopia', '+251', 'Ethiopian'],
  ['FI', 'FIN', '246', 'Finland', '+358', 'Finnish'],
  ['FR', 'FRA', '250', 'France', '+33', 'French'],
  ['GH', 'GHA', '288', 'Ghana', '+233', 'Ghanaian'],
  ['GR', 'GRC', '300', 'Greece', '+30', 'Greek'],
  ['HK', 'HKG', '344', 'Hong Kong', '+852', 'Hongkonger'],
  ['HU', 'HUN', '348', 'Hungary', '+36', 'Hungarian'],
  ['ID', 'IDN', '360', 'Indonesia', '+62', 'Indonesian'],
  ['IE', 'IRL', '372', 'Ireland', '+353', 'Irish'],
  ['IL', 'ISR', '376', 'Israel', '+972', 'Israeli'],
  ['IQ', 'IRQ', '368', 'Iraq', '+964', 'Iraqi'],
  ['IR', 'IRN', '364', 'Iran', '+98', 'Iranian'],
  ['IS', 'ISL', '352', 'Iceland', '+354', 'Icelandic'],
  ['IT', 'ITA', '380', 'Italy', '+39', 'Italian'],
  ['JO', 'JOR', '400', 'Jordan', '+962', 'Jordanian'],
  ['KE', 'KEN', '404', 'Kenya', '+254', 'Kenyan'],
  ['KR', 'KOR', '410', 'South Korea', '+82', 'South Korean'],
  ['KW', 'KWT', '414', 'Kuwait', '+965', 'Kuwaiti'],
  ['LK', 'LKA', '144', 'Sri Lanka', '+94', 'Sri Lankan'],
  ['MA', 'MAR', '504', 'Morocco', '+212', 'Moroccan'],
  ['MM', 'MMR', '104', 'Myanmar', '+95', 'Burmese'],
  ['MV', 'MDV', '462', 'Maldives', '+960', 'Maldivian'],
  ['MX', 'MEX', '484', 'Mexico', '+52', 'Mexican'],
  ['MY', 'MYS', '458', 'Malaysia', '+60', 'Malaysian'],
  ['NG', 'NGA', '566', 'Nigeria', '+234', 'Nigerian'],
  ['NL', 'NLD', '528', 'Netherlands', '+31', 'Dutch'],
  ['NO', 'NOR', '578', 'Norway', '+47', 'Norwegian'],
  ['NZ', 'NZL', '554', 'New Zealand', '+64', 'New Zealander'],
  ['OM', 'OMN', '512', 'Oman', '+968', 'Omani'],
  ['PE', 'PER', '604', 'Peru', '+51', 'Peruvian'],
  ['PH', 'PHL', '608', 'Philippines', '+63', 'Filipino'],
  ['PK', 'PAK', '586', 'Pakistan', '+92', 'Pakistani'],
  ['PL', 'POL', '616', 'Poland', '+48', 'Polish'],
  ['PT', 'PRT', '620', 'Portugal', '+351', 'Portuguese'],
  ['QA', 'QAT', '634', 'Qatar', '+974', 'Qatari'],
  ['RO', 'ROU', '642', 'Romania', '+40', 'Romanian'],
  ['RU', 'RUS', '643', 'Russia', '+7', 'Russian'],
  ['SA', 'SAU', '682', 'Saudi Arabia', '+966', 'Saudi'],
  ['SE', 'SWE', '752', 'Sweden', '+46', 'Swedish'],
  ['SG', 'SGP', '702', 'Singapore', '+65', 'Singaporean'],
  ['TH', 'THA', '764', 'Thailand', '+66', 'Thai'],
  ['TR', 'TUR', '792', 'Türkiye', '+90', 'Turkish'],
  ['TW', 'TWN', '158', 'Taiwan', '+886', 'Taiwanese'],
  ['TZ', 'TZA', '834', 'Tanzania', '+255', 'Tanzanian'],
  ['UA', 'UKR', '804', 'Ukraine', '+380', 'Ukrainian'],
  ['UG', 'UGA', '800', 'Uganda', '+256', 'Ugandan'],
  ['VN', 'VNM', '704', 'Vietnam', '+84', 'Vietnamese'],
  ['ZA', 'ZAF', '710', 'South Africa', '+27', 'South African'],
];
const POPULAR = new Set(['NP', 'IN', 'US', 'GB', 'AU', 'CA', 'AE', 'CN', 'JP', 'DE']);

/** Popular countries first (in the order above), then the rest alphabetically by name. */
export const COUNTRIES: readonly Country[] = ROWS.map(([alpha_2, alpha_3, numeric, name, calling_code, nationality]) => ({
  name,
  alpha_2,
  alpha_3,
  numeric,
  calling_code,
  nationality,
  is_popular: POPULAR.has(alpha_2),
})).sort((a, b) => Number(b.is_popular) - Number(a.is_popular) || (a.is_popular ? 0 : a.name.localeCompare(b.name)));

export const COUNTRY_BY_ALPHA2: ReadonlyMap<string, Country> = new Map(COUNTRIES.map((c) => [c.alpha_2, c]));
