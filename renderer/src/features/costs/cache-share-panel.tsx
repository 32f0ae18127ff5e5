import { useEffect } from 'react';
import type { CacheShare, CacheTokens } from '../../../../src/shared/cache-share.js';
import { formatCount, formatPercent, modelLabel } from '../../domain/costs-model.js';
import { useStore } from '../../store/index.js';

const share = (t: Pick<CacheTokens, 'readShare'>): string => (t.readShare === null ? '—' : formatPercent(t.readShare));
const written = (t: CacheTokens): number => t.cacheWrite5mTokens + t.cacheWrite1hTokens;

/**
 * How much of the input the prompt cache served, per model and per agent (`costs:cache-share`):
 * cache reads cost a tenth of fresh input, so a low share is money spent re-sending context.
 */
export function CacheSharePanel({ missionId }: { missionId: string | null }) {
  const show = useStore((s) => s.showCacheShare);
  const entry = useStore((s) => s.cacheShare);
  const load = useStore((s) => s.loadCacheShare);
  useEffect(() => {
    show(missionId);
    return () => show(undefined);
  }, [missionId, show]);
  const data = entry?.missionId === missionId ? entry.data : null;

  return (
    <section className="card table-card" aria-labelledby="cache-share-title">
      <div className="card-head card-head-padded">
        <h3 className="card-title" id="cache-share-title">
          Prompt cache
        </h3>
        {data ? (
          <span className="card-meta">
            {share(data.total)} of input read from the cache · all time
          </span>
        ) : null}
      </div>
      {data ? (
        <CacheShareView share={data} />
      ) : entry?.status === 'error' ? (
        <div className="inline-error" role="alert">
          <span>Could not read the cache share: {entry.error}</span>
          <button type="button" className="btn btn-small" onClick={() => void load()}>
            Retry
          </button>
        </div>
      ) : (
        <div className="placeholder" role="status">
          <span className="spinner" aria-hidden="true" /> Reading the cache share…
        </div>
      )}
    </section>
  );
}

/** Two tables: by model, then by agent (the agents with the most input first). */
export function CacheShareView({ share: data }: { share: CacheShare }) {
  if (data.byModel.length === 0) return <p className="muted card-head-padded">No input tokens yet.</p>;
  return (
    <div className="table-scroll">
      <table className="table costs-table" aria-label="Cache-read share by model">
        <thead>
          <tr>
            <th scope="col">Model</th>
            <th scope="col" className="num">Calls</th>
            <th scope="col" className="num">Fresh input</th>
            <th scope="col" className="num">Cache writes</th>
            <th scope="col" className="num">Cache reads</th>
            <th scope="col" className="num">Read share</th>
          </tr>
        </thead>
        <tbody>
          {data.byModel.map((r) => (
            <tr key={r.model}>
              <th scope="row">{modelLabel(r.model)}</th>
              <td className="num">{r.calls.toLocaleString('en-US')}</td>
              <td className="num">{formatCount(r.inputTokens)}</td>
              <td className="num">{formatCount(written(r))}</td>
              <td className="num">{formatCount(r.cacheReadTokens)}</td>
              <td className="num">{share(r)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <table className="table costs-table" aria-label="Cache-read share by agent">
        <thead>
          <tr>
            <th scope="col">Agent</th>
            <th scope="col">Model</th>
            <th scope="col" className="num">Calls</th>
            <th scope="col" className="num">Fresh input</th>
            <th scope="col" className="num">Cache writes</th>
            <th scope="col" className="num">Cache reads</th>
            <th scope="col" className="num">Read share</th>
          </tr>
        </thead>
        <tbody>
          {data.byAgent.map((r) => (
            <tr key={`${r.missionId}/${r.agentId}/${r.model}`}>
              <th scope="row">
                {r.agentName}
                {r.role ? <span className="muted"> · {r.role}</span> : null}
              </th>
              <td>{modelLabel(r.model)}</td>
              <td className="num">{r.calls.toLocaleString('en-US')}</td>
              <td className="num">{formatCount(r.inputTokens)}</td>
              <td className="num">{formatCount(written(r))}</td>
              <td className="num">{formatCount(r.cacheReadTokens)}</td>
              <td className="num">{share(r)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data.agentsLeftOut > 0 ? (
        <p className="muted card-head-padded">
          {data.agentsLeftOut.toLocaleString('en-US')} more agents with less input are not listed.
        </p>
      ) : null}
    </div>
  );
}
