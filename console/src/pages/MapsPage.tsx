import { useEffect, useState } from 'react';
import { api, type MapVersion, type StoredMap } from '../api';
import { Failure } from '../App';
import { time } from '../format';
import { go } from '../route';
import { RollbackButton } from './RollbackButton';

export function MapsPage({ botId, canRollback }: { botId: number; canRollback: boolean }) {
  const [versions, setVersions] = useState<MapVersion[] | null>(null);
  const [current, setCurrent] = useState<StoredMap | null>(null);
  const [picked, setPicked] = useState<number[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    setError(null);
    const load = async () => {
      const answer = await api<{ versions: MapVersion[] }>('GET', `/bots/${botId}/maps`);
      setVersions(answer.versions);
      setPicked(answer.versions.slice(0, 2).map((v) => v.version).reverse());
      if (answer.versions.length > 0) setCurrent((await api<{ map: StoredMap }>('GET', `/bots/${botId}/maps/current`)).map);
    };
    load().catch(setError);
  }, [botId, reloads]);

  const toggle = (version: number) => setPicked((now) => (now.includes(version) ? now.filter((v) => v !== version) : [...now, version].slice(-2)).sort((a, b) => a - b));

  return (
    <section aria-labelledby="maps-title">
      <h1 id="maps-title">Communication map</h1>
      <Failure error={error} />
      {versions && versions.length === 0 && <p>This bot has no map yet.</p>}
      {versions && versions.length > 0 && (
        <>
          <h2>Versions</h2>
          <table className="versions" aria-label="Map versions">
            <thead>
              <tr>
                <th>Compare</th>
                <th className="num">Version</th>
                <th>Date</th>
                <th>Author</th>
                <th>Comment</th>
                <th className="num">Endpoints</th>
                {canRollback && <th>Rollback</th>}
              </tr>
            </thead>
            <tbody>
              {versions.map((v, index) => (
                <tr key={v.version} data-version={v.version}>
                  <td>
                    <input type="checkbox" aria-label={`Compare version ${v.version}`} checked={picked.includes(v.version)} onChange={() => toggle(v.version)} />
                  </td>
                  <td className="num">{v.version}</td>
                  <td>{time(v.createdAt)}</td>
                  <td>
                    {v.author}
                    {v.authorKind && <span className="tag">{v.authorKind}</span>}
                  </td>
                  <td>{v.comment || (v.rolledBackFrom ? `rollback to ${v.rolledBackFrom}` : '')}</td>
                  <td className="num" data-field="endpoints">{v.endpointCount}</td>
                  {canRollback && <td>{index > 0 && <RollbackButton botId={botId} version={v.version} onDone={() => setReloads((n) => n + 1)} />}</td>}
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            <button type="button" disabled={picked.length !== 2} onClick={() => go(['bots', botId, 'maps', 'diff', picked[0], picked[1]])}>
              Compare {picked.length === 2 ? `${picked[0]} and ${picked[1]}` : 'two versions'}
            </button>
          </p>
        </>
      )}
      {current && (
        <>
          <h2>
            Endpoints of version {current.version} <span className="muted">({current.document.name})</span>
          </h2>
          <table className="endpoints" aria-label="Endpoints">
            <thead>
              <tr>
                <th>Alias</th>
                <th>Purpose</th>
                <th>Owner</th>
                <th>Goal</th>
                <th>Params schema</th>
              </tr>
            </thead>
            <tbody>
              {current.document.endpoints.map((endpoint) => (
                <tr key={endpoint.alias}>
                  <td className="mono">
                    {endpoint.alias}
                    {endpoint.critical && <span className="tag bad">critical</span>}
                    {endpoint.requiresLinkedUser && <span className="tag">linked user</span>}
                  </td>
                  <td>{endpoint.purpose}</td>
                  <td>{endpoint.owner}</td>
                  <td>{endpoint.goal === undefined ? <span className="muted">none</span> : <pre>{JSON.stringify(endpoint.goal, null, 2)}</pre>}</td>
                  <td>
                    <details>
                      <summary>{Object.keys((endpoint.params.properties as object | undefined) ?? {}).join(', ') || 'schema'}</summary>
                      <pre>{JSON.stringify(endpoint.params, null, 2)}</pre>
                    </details>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
