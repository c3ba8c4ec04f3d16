// The one JSON shape of a team, with the names the web client reads
// (team_lead.full_name|username, members[].full_name|username|name).
import { iso } from '../../core/http/org-scope.ts';
import type { TeamView } from './service.ts';

const fullName = (first: string | null, last: string | null) => `${first ?? ''} ${last ?? ''}`.trim();

export function presentTeam({ team: t, members, projects }: TeamView) {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    organization: t.organization_id,
    team_lead: t.team_lead_id
      ? {
          id: t.team_lead_id,
          full_name: fullName(t.lead_first_name, t.lead_last_name),
          username: t.lead_username || (t.lead_email ?? ''),
          email: t.lead_email ?? '',
        }
      : null,
    members: members.map((m) => {
      const full = fullName(m.first_name, m.last_name);
      return { id: m.id, full_name: full, username: m.username || m.email, name: full || m.email, email: m.email };
    }),
    member_count: members.length,
    projects: projects.map((p) => ({ id: p.id, name: p.name })),
    contact_number: t.contact_number,
    created_at: iso(t.created_at),
    updated_at: iso(t.updated_at),
  };
}
