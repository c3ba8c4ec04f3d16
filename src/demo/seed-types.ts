// What the demo seeder reports: shared by the seeder and its printer, so neither imports the other.
export interface SeedProgress {
  phase: 'people' | 'clients' | 'deals' | 'totals' | 'vacuum';
  /** Organisations finished, and to do. */
  orgsDone: number;
  orgs: number;
  /** Deals written over all organisations, and to write. */
  dealsDone: number;
  dealsTotal: number;
}

export interface SeededOrganization {
  id: string;
  name: string;
  logins: { role: string; email: string }[];
}

export interface SeedSummary {
  organizations: SeededOrganization[];
  rows: Record<string, number>;
  seconds: number;
  password: string;
}
