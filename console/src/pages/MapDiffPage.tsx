import { useEffect, useState } from 'react';
import { api, type MapDiff, type MapEndpoint, type StoredMap } from '../api';
import { Failure } from '../App';
import { go, href } from '../route';
import { RollbackButton } from './RollbackButton';

/** One side's JSON, its lines marked where the other side has no such line (the template diff shows its fields the same way). */
export function Side({ value, other, label }: { value: unknown; other: unknown; label: string }) {
  if (value === undefined) return <div className="side empty" aria-label={label}>—</div>;
  const lines = JSON.stringify(value, null, 2).split('\n');
  const theirs = new Set(other === undefined ? [] : JSON.stringify(other, null, 2).split('\n'));
  return (
    <pre className="side" aria-label={label}>
      {lines.map((line, i) => (
        <span key={i} className={theirs.has(line) ? 'line' : 'line differs'}>
          {line}
        </span>
      ))}
    </pre>
  );
}

export function MapDiffPage({ botId, from, to, canRollback }: { botId: number; from: number; to: number; canRollback: boolean }) {
  const [loaded, setData] = useState<{ key: string; a: StoredMap; b: StoredMap; diff: MapDiff } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const key = `${botId}:${from}:${to}`;
  useEffect(() => {
    setError(null);
    Promise.all([
      api<{ map: StoredMap }>('GET', `/bots/${botId}/maps/${from}`),
      api<{ map: StoredMap }>('GET', `/bots/${botId}/maps/${to}`),
      api<{ diff: MapDiff }>('GET', `/bots/${botId}/maps/diff?from=${from}&to=${to}`),
    ]).then(([a, b, d]) => setData({ key, a: a.map, b: b.map, diff: d.diff }), setError);
  }, [botId, from, to, key]);

  // After a rollback the route changes before the new pair arrives: the old pair must not show under the new heading.
  const data = loaded?.key === key ? loaded : null;
  if (!data) return <Failure error={error} />;
  const before = new Map(data.a.document.endpoints.map((e) => [e.alias, e]));
  const after = new Map(data.b.document.endpoints.map((e) => [e.alias, e]));
  const aliases = [...after.keys(), ...[...before.keys()].filter((alias) => !after.has(alias))];
  const kind = (alias: string) => (data.diff.added.includes(alias) ? 'added' : data.diff.removed.includes(alias) ? 'removed' : data.diff.changed.some((c) => c.alias === alias) ? 'changed' : 'same');
  const { endpoints: _a, ...headerA } = data.a.document;
  const { endpoints: _b, ...headerB } = data.b.document;

  return (
    <section aria-labelledby="diff-title">
      <p>
        <a href={href(['bots', botId, 'maps'])}>← Map versions</a>
      </p>
      <h1 id="diff-title">
        Version {from} → version {to}
      </h1>
      <p className="summary">
        <span className="tag added" data-field="added">{data.diff.added.length} added</span>
        <span className="tag removed" data-field="removed">{data.diff.removed.length} removed</span>
        <span className="tag changed" data-field="changed">{data.diff.changed.length} changed</span>
        {canRollback && <RollbackButton botId={botId} version={from} onDone={(version) => go(['bots', botId, 'maps', 'diff', from, version])} />}
      </p>
      <Failure error={error} />
      <div className="diff-head">
        <span>Version {from} · {data.a.author}</span>
        <span>Version {to} · {data.b.author}</span>
      </div>
      {data.diff.header.length > 0 && (
        <div className="diff-row changed">
          <h2>Map</h2>
          <div className="sides">
            <Side value={headerA} other={headerB} label={`map header in version ${from}`} />
            <Side value={headerB} other={headerA} label={`map header in version ${to}`} />
          </div>
        </div>
      )}
      {aliases.map((alias) => (
        <EndpointRow key={alias} alias={alias} kind={kind(alias)} a={before.get(alias)} b={after.get(alias)} from={from} to={to} changes={data.diff.changed.find((c) => c.alias === alias)?.changes ?? []} />
      ))}
    </section>
  );
}

function EndpointRow({ alias, kind, a, b, from, to, changes }: { alias: string; kind: string; a?: MapEndpoint; b?: MapEndpoint; from: number; to: number; changes: MapDiff['changed'][number]['changes'] }) {
  return (
    <div className={`diff-row ${kind}`} data-alias={alias}>
      <h2>
        <span className="mono">{alias}</span> <span className={`tag ${kind}`}>{kind}</span>
      </h2>
      {changes.length > 0 && (
        <ul className="changes">
          {changes.map((change, i) => (
            <li key={i}>
              <span className="mono">{change.path}</span>: {change.type}
              {'oldValue' in change && <> from <code>{JSON.stringify(change.oldValue)}</code></>}
              {'value' in change && <> to <code>{JSON.stringify(change.value)}</code></>}
            </li>
          ))}
        </ul>
      )}
      {kind !== 'same' && (
        <div className="sides">
          <Side value={a} other={b} label={`${alias} in version ${from}`} />
          <Side value={b} other={a} label={`${alias} in version ${to}`} />
        </div>
      )}
    </div>
  );
}
