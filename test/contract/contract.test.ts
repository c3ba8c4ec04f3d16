// Unit tests of the contract library with synthetic bodies (no application server).
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  clientRequest,
  contractEntries,
  contractEntry,
  entriesForAreas,
  missingFields,
  multipartPayload,
  parseFieldRead,
  type FieldPath,
} from './contract.ts';

const TOKEN = 'a'.repeat(40);
const fmt = (p: FieldPath): string =>
  p.map((s) => (s.kind === 'key' ? `.${s.name}` : s.kind === 'each' ? '[]' : s.kind === 'index' ? `[${s.index}]` : `<${s.placeholder}>`)).join('');
const alts = (spec: string): string[][] => parseFieldRead(spec).checks.map((c) => c.alternatives.map(fmt));
const missing = (id: string, body: unknown, variants?: string[]): string[] =>
  missingFields(contractEntry(id), body, variants ? { variants } : {});

describe('contract entries', () => {
  it('loads and validates all 87 entries with unique ids', () => {
    const entries = contractEntries();
    expect(entries).toHaveLength(87);
    expect(new Set(entries.map((e) => e.id)).size).toBe(87);
    expect(contractEntry('auth.login').path).toBe('/api/auth/login/');
    expect(() => contractEntry('nope.nothing')).toThrow(/unknown contract entry/);
  });

  it('selects areas by id prefix followed by a dot', () => {
    const ids = entriesForAreas(['auth', 'roles']).map((e) => e.id);
    expect(ids).toContain('auth.login');
    expect(ids).toContain('roles.list');
    expect(ids.every((id) => id.startsWith('auth.') || id.startsWith('roles.'))).toBe(true);
    expect(entriesForAreas(['auth.login']).map((e) => e.id)).toEqual(['auth.login.super-admin', 'auth.login.org-admin']);
    expect(entriesForAreas(['dash'])).toEqual([]);
  });
});

describe('parseFieldRead', () => {
  it('parses every fields_read string in the contract', () => {
    const conditions = new Set<string>();
    let count = 0;
    for (const entry of contractEntries()) {
      for (const spec of entry.response.fields_read) {
        const parsed = parseFieldRead(spec);
        count++;
        if (parsed.kind === 'fields') expect(parsed.checks.length, spec).toBeGreaterThan(0);
        if (parsed.kind === 'reference') expect(() => contractEntry(parsed.reference ?? '')).not.toThrow();
        if (parsed.condition) conditions.add(parsed.condition);
      }
      expect(() => missingFields(entry, {})).not.toThrow();
    }
    expect(count).toBeGreaterThan(300);
    expect([...conditions].sort()).toEqual(['bad_debt', 'individual', 'refunded', 'team']);
  });

  it('strips comments and reads optional / non-null / variant flags', () => {
    const role = parseFieldRead('user.role (string | {name})');
    expect(role).toMatchObject({ kind: 'fields', comments: ['string | {name}'], optional: false, nonNull: false, condition: null });
    expect(alts('user.role (string | {name})')).toEqual([['.user.role']]);
    expect(parseFieldRead('user.organizationId (optional; its presence enables GET /api/project/)').optional).toBe(true);
    expect(parseFieldRead('results[].category (non-null string, required)').nonNull).toBe(true);
    expect(parseFieldRead('standings[].team_id (team)').condition).toBe('team');
    expect(parseFieldRead('[].createdAt (camelCase)').condition).toBeNull();
  });

  it('resolves alternatives relative to the innermost array element', () => {
    expect(alts('[].phoneNumber|contact_number')).toEqual([['[].phoneNumber', '[].contact_number']]);
    expect(alts('[].teams[] ({id,name} objects or numeric ids)|team ({id,name} or string)|team_name')).toEqual([
      ['[].teams[]', '[].team', '[].team_name'],
    ]);
    expect(alts('[].members[].full_name|username|name')).toEqual([['[].members[].full_name', '[].members[].username', '[].members[].name']]);
    expect(alts('[].team_lead.full_name|team_lead.username')).toEqual([['[].team_lead.full_name', '[].team_lead.username']]);
    expect(alts('period_summary.period|period')).toEqual([['.period_summary.period', '.period']]);
    expect(alts('created_by.full_name|created_by.email')).toEqual([['.created_by.full_name', '.created_by.email']]);
    expect(alts('payments|payments_read[0].payment_date')).toEqual([['.payments[0].payment_date', '.payments_read[0].payment_date']]);
  });

  it('expands brace groups and placeholders; recognises prose and references', () => {
    const group = parseFieldRead('analytics.insights.{revenue_growth,new_deals,team_efficiency}');
    expect(group.checks.map((c) => c.label)).toEqual(['analytics.insights.revenue_growth', 'analytics.insights.new_deals', 'analytics.insights.team_efficiency']);
    expect(alts('deal_pipeline[].{stage,count}')).toEqual([['.deal_pipeline[].stage'], ['.deal_pipeline[].count']]);
    expect(alts('<category>[].id')).toEqual([['<category>[].id']]);
    expect(parseFieldRead('(whole body becomes the cached salesperson dashboard data)').kind).toBe('prose');
    expect(parseFieldRead('same as notifications.preferences.get')).toMatchObject({ kind: 'reference', reference: 'notifications.preferences.get' });
  });

  it('rejects malformed notation', () => {
    for (const bad of ['a..b', 'a[x]', 'a(b', 'a)', '.a', 'a.[]', '[]b', 'a||b', 'a-b']) {
      expect(() => parseFieldRead(bad), bad).toThrow();
    }
  });
});

/** The contract's own text of the field read that starts with `start` (its comments change with the contract). */
const label = (id: string, start: string) => contractEntry(id).response.fields_read.find((f) => f.startsWith(start))!;

const user = { id: 1, email: 'a@x.io', first_name: 'A', last_name: 'B', role: 'Salesperson', organization: 1, name: 'A B' };

describe('missingFields', () => {
  it('auth.login', () => {
    const ok = { token: TOKEN, user, requires_otp: false, user_type: 'salesperson', requires_password_change: false, temporary_token: null };
    expect(missing('auth.login', ok)).toEqual([]);
    expect(missing('auth.login', { ...ok, user: { ...user, role: { id: 3, name: 'Org Admin' }, organizationId: 1 } })).toEqual([]);
    expect(missing('auth.login', { token: TOKEN, user: { id: 1, email: 'a@x.io' } })).toEqual([
      'user.first_name', 'user.last_name', 'user.role (string | {name})',
      label('auth.login', 'user.organization '), 'user.name',
      label('auth.login', 'requires_otp'), 'user_type', label('auth.login', 'requires_password_change'), 'temporary_token',
    ]);
  });

  const listUser = {
    id: 2, first_name: 'C', last_name: 'D', email: 'c@x.io', contact_number: '+977-98', role: { id: 1, name: 'Verifier' },
    teams: [{ id: 1, name: 'T' }], is_active: true, organization_name: 'Org', name: 'C D', username: 'c',
  };
  const { contact_number: _c, teams: _t, ...bare } = listUser;

  it('auth.users.list as a plain array and as a DRF page', () => {
    const users = [listUser, { ...bare, phoneNumber: '+977-97', team_name: 'T' }];
    expect(missing('auth.users.list', users)).toEqual([]);
    expect(missing('auth.users.list', { count: 2, next: null, previous: null, results: users })).toEqual([]);
    expect(missing('auth.users.list', [])).toEqual([]);
    expect(missing('auth.users.list', { count: 0, next: null, previous: null, results: [] })).toEqual([]);
    expect(missing('auth.users.list', [listUser, { ...bare, teams: 'T' }])).toEqual([
      '[].phoneNumber|contact_number',
      label('auth.users.list', '[].teams[] '),
    ]);
    const all = contractEntry('auth.users.list').response.fields_read;
    expect(missing('auth.users.list', { users })).toEqual(all);
  });

  it('permissions.all (object keyed by category)', () => {
    expect(missing('permissions.all', { Deals: [{ id: 1, name: 'View deals', codename: 'view_deal' }], Clients: [] })).toEqual([]);
    expect(missing('permissions.all', {})).toEqual([]);
    expect(missing('permissions.all', { Deals: [{ id: 1 }] })).toEqual(['<category>[].name']);
    expect(missing('permissions.all', { Deals: 'x' })).toHaveLength(3);
    expect(missing('permissions.all', [{ id: 1, name: 'x' }])).toHaveLength(3);
  });

  it('auth.sessions.list', () => {
    const s = { id: 1, device: { browser: 'Chrome', os: 'Linux', device: 'PC' }, ip_address: '127.0.0.1', createdAt: '2025-01-01T00:00:00Z', is_current_session: true };
    expect(missing('auth.sessions.list', [s, { ...s, device: 'Firefox', is_current_session: false }])).toEqual([]);
    const { createdAt: _x, ...snake } = s;
    expect(missing('auth.sessions.list', { count: 1, results: [{ ...snake, created_at: 'x' }] })).toEqual(['[].createdAt (camelCase)']);
  });

  it('roles.list', () => {
    const role = { id: 1, name: 'Verifier', permissions: [1, 2], organization: 1, organization_name: 'Org' };
    expect(missing('roles.list', [role])).toEqual([]);
    const { permissions: _p, ...noPerms } = role;
    expect(missing('roles.list', [role, noPerms])).toEqual([label('roles.list', '[].permissions ')]);
    // A field the contract types: a numeric string or a UUID is not the JSON integer the client parseInt()s and compares.
    expect(missing('roles.list', [{ ...role, id: '1' }])).toEqual([label('roles.list', '[].id ')]);
    expect(missing('roles.list', [{ ...role, id: '0190a4c2-7c1e-7000-8000-000000000001' }])).toEqual([label('roles.list', '[].id ')]);
  });

  it('org-admin.dashboard brace groups report the missing member', () => {
    const body = {
      overview: { total_revenue: 1, active_deals: 1, team_performance: 1, conversion_rate: 1, monthly_growth: 1, total_users: 1, pending_approvals: 0, system_alerts: 0, data_usage: 0 },
      team_members: [{ id: 1, name: 'A', role: 'Salesperson', avatar: null, performance: 1, status: 'active', deals: 1, revenue: 1 }],
      deal_pipeline: [{ stage: 'new', count: 1, value: 1, progress: 1 }],
      analytics: { monthly_performance: [{ month: 'Jan', value: 1 }], revenue_distribution: [], insights: { revenue_growth: 1, new_deals: 1, team_efficiency: 1 } },
      recent_activities: [{ id: 1, type: 'deal', action: 'x', details: 'y', time: 't', user: 'u', avatar: null, status: 's' }],
      system_status: { database: 'ok', api_services: 'ok', storage: 'ok', last_backup: null },
    };
    expect(missing('org-admin.dashboard', body)).toEqual([]);
    const { avatar: _a, ...member } = body.team_members[0]!;
    const { last_backup: _l, ...status } = body.system_status;
    expect(missing('org-admin.dashboard', { ...body, team_members: [member], system_status: status })).toEqual([
      'team_members[].avatar', 'system_status.last_backup',
    ]);
  });

  it('null is present unless non-null is required; a null parent satisfies its children', () => {
    const currency = { code: 'USD', name: 'Dollar', symbol: '$', numeric: '840', country: null };
    expect(missing('commission.currencies', [currency])).toEqual([]);
    expect(missing('commission.currencies', [{ ...currency, country: { name: 'US' } }])).toEqual([
      '[].country.flag_emoji', '[].country.alpha_2', '[].country.alpha_3',
    ]);
    const inv = { invoice_id: 'INV-1', payment_id: 1, client_name: 'C', deal_name: 'D', invoice_date: 'x', due_date: null, amount: '1.00', status: null };
    expect(missing('verifier.invoices', [inv])).toEqual(["[].status ('pending' | 'verified' | 'rejected'; non-null, shown Pending/Verified/Denied)"]);
  });

  it('models apiClient unwrapping of {success,data} and {results,count}', () => {
    expect(missing('notifications.unread-count', { success: true, data: { unread_count: 2 } })).toEqual([]);
    const item = {
      id: 1, title: 't', message: 'm', notification_type: 'deal', category: 'deal', is_read: false, created_at: 'x',
      priority: 'low', actionUrl: null, read_at: null, related_object_type: null, related_object_id: null, recipient_email: 'a@x.io',
    };
    const shown = missing('notifications.list', { results: [item], data: [], pagination: { page: 1, limit: 20, total: 1, totalPages: 1 } });
    expect(shown).toEqual(['count']); // the contract reads `count`, yet the .md forbids it here
    expect(missing('notifications.list', { count: 1, results: [item] })).toContain('results[].id');
  });

  it('variants, references, prose and distributed alternatives', () => {
    const individual = { standings: [{ username: 'u', profile_picture: null, user_id: 1, sales_amount: '10.00' }] };
    expect(missing('dashboard.standings', individual, ['individual'])).toEqual([]);
    expect(missing('dashboard.standings', individual)).toEqual([
      'standings[].team_name (team)', 'standings[].team_lead_profile_picture (team)', 'standings[].team_id (team)',
    ]);
    const prefs = contractEntry('notifications.preferences.get').response.fields_read;
    expect(missing('auth.users.notification-preferences.get', Object.fromEntries(prefs.map((k) => [k, true])))).toEqual([]);
    expect(missing('auth.users.notification-preferences.get', {})).toEqual(prefs);
    expect(missing('dashboard.main.warmer', 'anything')).toEqual([]);
    const pay = { payment_date: '2025-01-01', received_amount: '1.00', cheque_number: '123456', payment_remarks: '', receipt_file: null };
    const deal = contractEntry('deals.get');
    const dealBody = { deal_id: 'DLID0001', deal_name: 'D', client: { client_name: 'C' }, pay_status: 'full_payment', source_type: 'google', currency: 'USD', deal_value: 1, deal_date: 'x', due_date: 'y', payment_method: 'cheque', deal_remarks: '', activity_logs: [] };
    expect(missingFields(deal, { ...dealBody, payments_read: [pay] })).toEqual([]);
    expect(missingFields(deal, { ...dealBody, payments: [] })).toEqual([]);
    expect(missingFields(deal, { ...dealBody, payments_read: [pay], activity_logs: {} })).toEqual(['activity_logs[]']);
    expect(missingFields(deal, dealBody)).toHaveLength(5);
  });
});

describe('clientRequest', () => {
  it('builds URLs and headers as the client does', () => {
    expect(clientRequest(contractEntry('auth.profile.get'), { token: TOKEN })).toEqual({
      method: 'GET', url: '/api/auth/profile/?', headers: { authorization: `Token ${TOKEN}`, 'content-type': 'application/json' },
    });
    expect(clientRequest(contractEntry('dashboard.chart'), { token: TOKEN, query: { period: 'daily' } }).url).toBe('/api/dashboard/chart/?period=daily?');
    expect(clientRequest(contractEntry('dashboard.commission'), { query: { period: 'monthly', include_details: 'true' } }).url)
      .toBe('/api/dashboard/commission/?period=monthly&include_details=true?');
    // Params passed as an object: no stray '?' (matches the entry's example_url).
    expect(clientRequest(contractEntry('auth.users.list'), { token: TOKEN, query: { role: 'Org Admin' } }).url).toBe('/api/auth/users/?role=Org+Admin');
    expect(clientRequest(contractEntry('deals.list'), { query: { search: '', ordering: '-created_at' } }).url).toBe('/api/deals/deals/?search=&ordering=-created_at');
    const target = clientRequest(contractEntry('auth.sales-target.set'), { token: TOKEN, body: { sales_target: 5000 } });
    expect(target).toEqual({
      method: 'POST', url: '/api/auth/user/set-sales-target/', payload: '{"sales_target":5000}',
      headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' },
    });
    const del = clientRequest(contractEntry('auth.sessions.revoke'), { token: TOKEN, params: { id: '12' }, lowercaseToken: true });
    expect(del).toEqual({ method: 'DELETE', url: '/api/auth/sessions/12/', headers: { authorization: `token ${TOKEN}`, 'content-type': 'application/json' } });
    expect(clientRequest(contractEntry('verifier.dashboard'), { token: TOKEN }).headers).toEqual({ authorization: `Token ${TOKEN}` });
  });

  it('reproduces every example_url', () => {
    for (const entry of contractEntries()) {
      const [pathPart = '', search] = entry.example_url.split(/\?(.*)/s);
      const names = [...entry.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
      const values = new RegExp(`^${entry.path.replace(/\{\w+\}/g, '([^/]+)')}$`).exec(pathPart)?.slice(1) ?? [];
      const query = Object.fromEntries(new URLSearchParams(search ?? '').entries());
      const lastKey = Object.keys(query).at(-1);
      if (lastKey !== undefined) query[lastKey] = (query[lastKey] ?? '').replace(/\?$/, '');
      const req = clientRequest(entry, {
        token: entry.auth === 'none' ? undefined : TOKEN,
        params: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(values[i] ?? '')])),
        query,
        body: entry.encoding === 'json' ? {} : undefined,
      });
      expect(req.url, entry.id).toBe(entry.example_url);
    }
  });

  it('refuses requests the client never makes', () => {
    expect(() => clientRequest(contractEntry('dashboard.main.warmer'), { token: TOKEN })).toThrow(/never sends/);
    expect(() => clientRequest(contractEntry('auth.users.get'))).toThrow(/missing path parameter \{id\}/);
    expect(() => clientRequest(contractEntry('auth.users.get'), { params: { id: '1', pk: '2' } })).toThrow(/unknown path parameter/);
    expect(() => clientRequest(contractEntry('auth.login'))).toThrow(/JSON body/);
    expect(() => clientRequest(contractEntry('auth.profile.get'), { body: {} })).toThrow(/no body/);
    expect(() => clientRequest(contractEntry('deals.create'), { body: { deal_name: 'x' } })).toThrow(/multipartPayload/);
  });

  it('multipart entries carry no content-type until given a multipartPayload()', () => {
    const entry = contractEntry('deals.create');
    expect(clientRequest(entry, { token: TOKEN })).toEqual({ method: 'POST', url: '/api/deals/deals/', headers: { authorization: `Token ${TOKEN}` } });
    const mp = multipartPayload({ deal_name: 'D' });
    const req = clientRequest(entry, { token: TOKEN, body: mp });
    expect(req.payload).toBe(mp.payload);
    expect(req.headers['content-type']).toBe(mp.headers['content-type']);
  });

  it('works with app.inject()', async () => {
    const app = Fastify();
    app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    app.all('/*', async (req) => ({ url: req.url, query: req.query, headers: req.headers, body: req.body ?? null }));
    const chart = await app.inject(clientRequest(contractEntry('dashboard.chart'), { token: TOKEN, query: { period: 'weekly' } }));
    expect(chart.json()).toMatchObject({ url: '/api/dashboard/chart/?period=weekly?', query: { period: 'weekly?' }, headers: { authorization: `Token ${TOKEN}` } });
    const patch = await app.inject(clientRequest(contractEntry('roles.update'), { token: TOKEN, params: { id: '4' }, body: { name: 'X' } }));
    expect(patch.json()).toMatchObject({ url: '/api/permissions/roles/4/', body: { name: 'X' } });
    const mp = multipartPayload({ approval_status: 'approved' });
    const form = await app.inject(clientRequest(contractEntry('verifier.form.submit'), { token: TOKEN, params: { payment_id: '17' }, body: mp }));
    expect(form.statusCode).toBe(200);
    expect(Buffer.from((form.json() as { body: { data: number[] } }).body.data).equals(mp.payload)).toBe(true);
    await app.close();
  });
});

describe('multipartPayload', () => {
  it('builds a parseable multipart/form-data body with a random boundary', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff]);
    const { payload, headers } = multipartPayload({
      deal_name: 'Big deal',
      'payments[0][received_amount]': '100.50',
      'payments[0][receipt_file]': { filename: 'receipt.png', contentType: 'image/png', data: png },
    });
    const boundary = /^multipart\/form-data; boundary=(.+)$/.exec(headers['content-type'] ?? '')?.[1] ?? '';
    expect(boundary).toMatch(/^----PRSContractBoundary[0-9a-f]{24}$/);
    expect(multipartPayload({}).headers['content-type']).not.toBe(headers['content-type']);
    const text = payload.toString('latin1');
    expect(text.startsWith(`--${boundary}\r\nContent-Disposition: form-data; name="deal_name"\r\n\r\nBig deal\r\n`)).toBe(true);
    expect(text.endsWith(`--${boundary}--\r\n`)).toBe(true);
    expect(text.split(`--${boundary}\r\n`)).toHaveLength(4);
    expect(text).toContain('name="payments[0][receipt_file]"; filename="receipt.png"\r\nContent-Type: image/png\r\n\r\n');

    const form = await new Response(payload, { headers }).formData();
    expect(form.get('deal_name')).toBe('Big deal');
    expect(form.get('payments[0][received_amount]')).toBe('100.50');
    const file = form.get('payments[0][receipt_file]');
    if (file === null || typeof file === 'string') throw new Error('expected a file part');
    expect(file.name).toBe('receipt.png');
    expect(file.type).toBe('image/png');
    expect(Buffer.from(await file.arrayBuffer()).equals(png)).toBe(true);
  });
});
