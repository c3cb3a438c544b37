import { useEffect, useState } from 'react';
import { api, type TraceHop } from '../api';
import { Failure } from '../App';
import { duration, FAILED_STATUSES, time } from '../format';
import { href } from '../route';

/** Where a hop sits in the chain, for its colour: CRM call → workflow → message → answer → callback. */
function stage(hop: string): string {
  if (['message.received', 'button.pressed', 'contact.shared', 'wait.answered'].includes(hop)) return 'answer';
  if (hop.startsWith('endpoint.')) return 'crm';
  if (hop.startsWith('workflow.')) return 'workflow';
  if (hop.startsWith('message.')) return 'message';
  if (hop === 'wait.resumed') return 'callback';
  return 'other';
}

export function TracePage({ botId, traceId }: { botId: number; traceId: string }) {
  const [answer, setAnswer] = useState<{ hops: TraceHop[]; truncated: boolean } | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api<{ hops: TraceHop[]; truncated: boolean }>('GET', `/bots/${botId}/traces/${encodeURIComponent(traceId)}`).then(setAnswer, setError);
  }, [botId, traceId]);

  const hops = answer?.hops ?? [];
  const start = hops[0]?.timestamp ?? 0;
  const elapsed = (hops[hops.length - 1]?.timestamp ?? 0) - start;
  const span = Math.max(1, elapsed);
  const failures = hops.filter((hop) => FAILED_STATUSES.has(hop.status)).length;

  return (
    <section aria-labelledby="trace-title">
      <p>
        <a href={href(['bots', botId, 'traces'])}>← Traces</a>
      </p>
      <h1 id="trace-title">
        Trace <span className="mono">{traceId}</span>
      </h1>
      <Failure error={error} />
      {answer && (
        <>
          <p className="summary">
            <span data-field="hop-count">{hops.length}</span> hops over {duration(elapsed)}, <span data-field="failure-count">{failures}</span> failed
            {answer.truncated && ' (the first 1,000 hops are shown)'}
          </p>
          <ol className="timeline" aria-label="Timeline">
            {hops.map((hop, index) => {
              const gap = index === 0 ? 0 : hop.timestamp - hops[index - 1].timestamp;
              const failed = FAILED_STATUSES.has(hop.status);
              return (
                <li key={hop.id} className={`hop stage-${stage(hop.hop)}${failed ? ' failed' : ''}`}>
                  <div className="hop-bar" aria-hidden="true">
                    <span ref={(el) => el?.style.setProperty('--offset', `${((hop.timestamp - start) / span) * 100}%`)} />
                  </div>
                  <div className="hop-main">
                    <strong>{hop.hop}</strong> <span className={`status ${failed ? 'bad' : ''}`}>{hop.status}</span>
                    {hop.alias && <span className="tag">{hop.alias}</span>}
                    {hop.sourceSystem && <span className="tag">from {hop.sourceSystem}</span>}
                  </div>
                  <div className="hop-times">
                    <span>{time(hop.timestamp)}</span>
                    <span>+{duration(hop.timestamp - start)}</span>
                    {index > 0 && <span className={gap > 60_000 ? 'slow' : ''}>gap {duration(gap)}</span>}
                    {hop.latencyMs !== null && <span className={hop.latencyMs > 1000 ? 'slow' : ''}>latency {duration(hop.latencyMs)}</span>}
                  </div>
                  <div className="hop-who">
                    {hop.userId && <span>user {hop.userId}</span>}
                    {hop.leadId && <span>lead {hop.leadId}</span>}
                  </div>
                  {hop.detail && Object.keys(hop.detail).length > 0 && (
                    <details>
                      <summary>Detail</summary>
                      <pre>{JSON.stringify(hop.detail, null, 2)}</pre>
                    </details>
                  )}
                </li>
              );
            })}
          </ol>
        </>
      )}
    </section>
  );
}
