import { type FormEvent, useEffect, useState } from 'react';
import { api, type TraceSummary } from '../api';
import { Failure } from '../App';
import { duration, time } from '../format';
import { go, href } from '../route';

const FILTERS = [
  ['userId', 'User id'],
  ['leadId', 'Lead id'],
  ['alias', 'Alias'],
  ['status', 'Status'],
  ['sourceSystem', 'Source system'],
] as const;

/** `<input type="datetime-local">` works in local time; the API in epoch milliseconds. */
const toInput = (ms: string | null) => (ms ? new Date(Number(ms) - new Date().getTimezoneOffset() * 60_000).toISOString().slice(0, 16) : '');
const fromInput = (value: string) => (value ? String(new Date(value).getTime()) : undefined);

export function TracesPage({ botId, params }: { botId: number; params: URLSearchParams }) {
  const [answer, setAnswer] = useState<{ traces: TraceSummary[]; nextBefore: number | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const search = params.toString();

  useEffect(() => {
    setError(null);
    api<{ traces: TraceSummary[]; nextBefore: number | null }>('GET', `/bots/${botId}/traces${search ? `?${search}` : ''}`).then(setAnswer, setError);
  }, [botId, search]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const values: Record<string, string | undefined> = {};
    for (const [name] of FILTERS) values[name] = String(form.get(name) ?? '').trim() || undefined;
    values.from = fromInput(String(form.get('from') ?? ''));
    values.to = fromInput(String(form.get('to') ?? ''));
    go(['bots', botId, 'traces'], values);
  };
  const current = Object.fromEntries(params.entries());

  return (
    <section aria-labelledby="traces-title">
      <h1 id="traces-title">Traces</h1>
      <form className="filters" onSubmit={submit} key={search}>
        {FILTERS.map(([name, label]) => (
          <label key={name}>
            {label}
            <input name={name} defaultValue={params.get(name) ?? ''} />
          </label>
        ))}
        <label>
          From
          <input type="datetime-local" name="from" defaultValue={toInput(params.get('from'))} />
        </label>
        <label>
          To
          <input type="datetime-local" name="to" defaultValue={toInput(params.get('to'))} />
        </label>
        <div className="filter-actions">
          <button type="submit">Search</button>
          <a href={href(['bots', botId, 'traces'])}>Clear</a>
        </div>
      </form>
      <Failure error={error} />
      {answer && (
        <>
          <table className="traces" aria-label="Traces found">
            <thead>
              <tr>
                <th>Started</th>
                <th>Trace</th>
                <th>First hop</th>
                <th>Alias</th>
                <th>User</th>
                <th>Source</th>
                <th className="num">Hops</th>
                <th className="num">Failures</th>
                <th className="num">Duration</th>
              </tr>
            </thead>
            <tbody>
              {answer.traces.map((trace) => (
                <tr key={trace.traceId} className={trace.failures > 0 ? 'failed' : ''}>
                  <td>{time(trace.startedAt)}</td>
                  <td>
                    <a href={href(['bots', botId, 'traces', trace.traceId])} className="mono">{trace.traceId}</a>
                  </td>
                  <td>{trace.firstHop}</td>
                  <td>{trace.alias ?? '—'}</td>
                  <td>{trace.userId ?? trace.leadId ?? '—'}</td>
                  <td>{trace.sourceSystem ?? '—'}</td>
                  <td className="num" data-field="hops">{trace.hops}</td>
                  <td className="num" data-field="failures">{trace.failures}</td>
                  <td className="num">{duration(trace.endedAt - trace.startedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {answer.traces.length === 0 && <p>No trace matches.</p>}
          <div className="pager">
            {params.get('before') && <a href={href(['bots', botId, 'traces'], { ...current, before: undefined })}>Newest</a>}
            {answer.nextBefore !== null && <a href={href(['bots', botId, 'traces'], { ...current, before: answer.nextBefore })}>Older</a>}
          </div>
        </>
      )}
    </section>
  );
}
