import { useEffect } from 'react';
import type { MeasuredWorkload } from '../../../../src/shared/design-estimate.js';
import type { RoleCostRow } from '../../../../src/shared/role-costs.js';
import { useStore } from '../../store/index.js';

/**
 * What past missions measured, for the designer: the workload per role and model (the
 * estimate uses it where it rests on enough calls) and cost per role and model (the
 * right-size advice). Fetched once when the designer opens; undefined until they arrive,
 * and the designer works from its assumptions meanwhile.
 */
export function useLedgerMeasures(): { measured: MeasuredWorkload[] | undefined; roleCosts: RoleCostRow[] | undefined } {
  const measured = useStore((s) => s.measuredWorkload.data) ?? undefined;
  const roleCosts = useStore((s) => s.roleCosts['']?.data) ?? undefined;
  const loadMeasuredWorkload = useStore((s) => s.loadMeasuredWorkload);
  const loadRoleCosts = useStore((s) => s.loadRoleCosts);
  useEffect(() => {
    void loadMeasuredWorkload();
    void loadRoleCosts(null);
  }, [loadMeasuredWorkload, loadRoleCosts]);
  return { measured, roleCosts };
}
