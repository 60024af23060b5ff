/**
 * Kinds are an open snake_case vocabulary: the world keeps inventing instruments. Known kinds
 * carry a default for `binding`; an unknown kind must say whether it binds.
 */
export const KNOWN_KINDS: Record<string, { binding: boolean }> = {
  readmission_agreement: { binding: true },
  visa_facilitation_agreement: { binding: true },
  association_agreement: { binding: true },
  stabilisation_association_agreement: { binding: true },
  partnership_cooperation_agreement: { binding: true },
  comprehensive_enhanced_partnership_agreement: { binding: true },
  status_agreement: { binding: true },
  framework_agreement: { binding: true },
  cooperation_agreement: { binding: true },
  mobility_partnership: { binding: false },
  common_agenda_migration_mobility: { binding: false },
  working_arrangement: { binding: false },
  action_plan: { binding: false },
  joint_declaration: { binding: false },
  joint_statement: { binding: false },
  declaration: { binding: false },
  standard_operating_procedures: { binding: false },
  roadmap: { binding: false },
  partnership_priorities: { binding: false },
};

export const KIND_PATTERN = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

export function defaultBinding(kind: string): boolean | undefined {
  return Object.hasOwn(KNOWN_KINDS, kind) ? KNOWN_KINDS[kind]!.binding : undefined;
}
