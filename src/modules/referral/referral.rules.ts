import { Company } from "../company/company.entity";
import { FacilitatorRole, FacilitatorSide } from "../deal/deal.enums";
import type { PlannedFacilitator } from "../deal/deal.repository";
import { displayName, Person } from "../person/person.entity";
import { REFERRAL_NAME_MAX_LENGTH } from "./referral.inputs";

/** A person a deal involves, with their employer (null when they have none). */
export interface Party {
  person: Person;
  employer: Company | null;
}

export interface Parties {
  seeker: Party;
  provider: Party;
  connector: Party;
}

/**
 * "<seeker's employer> → <provider's employer>", a person's own name standing in for an
 * employer they lack, cut to the column's 200 characters (code points, as PostgreSQL counts).
 */
export function defaultName({ seeker, provider }: Parties): string {
  const label = ({ person, employer }: Party) => employer?.name.trim() || displayName(person);
  const full = `${label(seeker)} → ${label(provider)}`;
  return Array.from(full).slice(0, REFERRAL_NAME_MAX_LENGTH).join("").trimEnd();
}

/**
 * The connector, on the provider's side when employed by the provider's company, else on the
 * seeker's; then each party's referral source on that party's side, unless they are a party
 * themselves. A person appears at most once on a side. Each row keeps the person's employer of
 * today, whatever their employer later becomes.
 */
export function planFacilitators({ seeker, provider, connector }: Parties, known: Map<string, Party>): PlannedFacilitator[] {
  const partyIds = new Set([seeker.person.id, provider.person.id, connector.person.id]);
  const worksForProvider =
    connector.person.companyId !== null && connector.person.companyId === provider.person.companyId;
  const planned: PlannedFacilitator[] = [
    {
      personId: connector.person.id,
      companyId: connector.person.companyId,
      role: FacilitatorRole.CONNECTOR,
      side: worksForProvider ? FacilitatorSide.PROVIDER : FacilitatorSide.SEEKER,
    },
  ];
  const sources: Array<[Party, FacilitatorSide]> = [
    [seeker, FacilitatorSide.SEEKER],
    [provider, FacilitatorSide.PROVIDER],
  ];
  for (const [party, side] of sources) {
    const source = party.person.referredById ? known.get(party.person.referredById) : undefined;
    if (!source || partyIds.has(source.person.id)) continue;
    if (planned.some((f) => f.side === side && f.personId === source.person.id)) continue;
    planned.push({
      personId: source.person.id,
      companyId: source.person.companyId,
      role: FacilitatorRole.REFERRAL_SOURCE,
      side,
    });
  }
  return planned;
}
