import { describe, expect, it } from 'vitest';
import { AgreementRegisteredData, StepChanges, StepData } from '../../domain/agreement/index.js';

const issues = (result: { success: boolean; error?: { issues: Array<{ path: PropertyKey[]; message: string }> } }) =>
  result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ?? [];

describe('event schemas: what may be stored', () => {
  it('accepts a step with every optional fact', () => {
    const data = {
      occurredOn: '2019-11-18/2019-11-19', tentative: false, dateText: '18-19 November 2019', party: 'Nigeria', round: 4, location: 'Abuja',
      note: 'technical round', source: '004:197', alternativeDates: [{ occurredOn: '2019-11', source: '004:171' }],
    };
    expect(StepData.parse(data)).toEqual(data);
  });

  it('names the field and the rule for a malformed date, an unknown field and a bad round', () => {
    expect(issues(StepData.safeParse({ occurredOn: '18/11/2019' }))).toEqual([expect.stringMatching(/^occurredOn: must be one of: YYYY/)]);
    expect(issues(StepData.safeParse({ occurredOn: '2019', roundNumber: 3 }))).toEqual([expect.stringMatching(/roundNumber/)]);
    expect(issues(StepData.safeParse({ occurredOn: '2019', round: 0 }))).toEqual([expect.stringMatching(/^round: /)]);
    expect(issues(StepData.safeParse({ occurredOn: '2019', note: '' }))).toEqual(['note: must not be empty']);
  });

  it('refuses a registration with one party, a kind that is not snake_case, or an id that is not a slug', () => {
    const base = { agreementId: 'eu-x-readmission', title: 'EU-X', kind: 'readmission_agreement', binding: true, parties: ['EU', 'X'] };
    expect(AgreementRegisteredData.safeParse(base).success).toBe(true);
    expect(issues(AgreementRegisteredData.safeParse({ ...base, parties: ['EU'] }))).toEqual(['parties: an agreement has at least two parties']);
    expect(issues(AgreementRegisteredData.safeParse({ ...base, kind: 'Readmission Agreement' }))[0]).toMatch(/^kind: must be snake_case/);
    expect(issues(AgreementRegisteredData.safeParse({ ...base, agreementId: '../etc/passwd' }))[0]).toMatch(/^agreementId: must be a lowercase slug/);
  });

  it('lets a correction remove a fact but not the date, and requires it to change something', () => {
    expect(StepChanges.safeParse({ party: null }).success).toBe(true);
    expect(StepChanges.safeParse({ occurredOn: null }).success).toBe(false);
    expect(issues(StepChanges.safeParse({}))).toEqual([': must change at least one field']);
  });
});
