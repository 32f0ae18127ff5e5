import { areaInfo } from '../../domain/areas.js';
import type { Area } from '../../domain/route.js';
import { PageHeader } from '../../ui/page-header.js';

/** An area that is planned but not built: said plainly, with no placeholder data. */
export function ComingLater({ area }: { area: Area }) {
  const info = areaInfo(area);
  return (
    <div className="page">
      <PageHeader title={info.label} />
      <section className="empty-state" aria-label={`${info.label} is not available yet`}>
        <div className="empty-icon" aria-hidden="true">
          {info.icon}
        </div>
        <h3>{info.label}: coming in a later version</h3>
        <p>{info.summary}</p>
        <p className="muted">
          This version of Control Room lets you design teams. Head to Teams to get started.
        </p>
      </section>
    </div>
  );
}
