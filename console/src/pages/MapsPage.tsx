import { useEffect, useState } from 'react';
import { api, type MapVersion, type StoredMap } from '../api';
import { Failure } from '../App';
import { rollbackMap } from './RollbackButton';
import { VersionHistoryTable } from './VersionHistoryTable';

export function MapsPage({ botId, canRollback }: { botId: number; canRollback: boolean }) {
  const [versions, setVersions] = useState<MapVersion[] | null>(null);
  const [current, setCurrent] = useState<StoredMap | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);

  useEffect(() => {
    setError(null);
    const load = async () => {
      const answer = await api<{ versions: MapVersion[] }>('GET', `/bots/${botId}/maps`);
      setVersions(answer.versions);
      if (answer.versions.length > 0) setCurrent((await api<{ map: StoredMap }>('GET', `/bots/${botId}/maps/current`)).map);
    };
    load().catch(setError);
  }, [botId, reloads]);

  return (
    <section aria-labelledby="maps-title">
      <h1 id="maps-title">Communication map</h1>
      <Failure error={error} />
      {versions && versions.length === 0 && <p>This bot has no map yet.</p>}
      {versions && versions.length > 0 && (
        <VersionHistoryTable
          label="Map versions"
          botId={botId}
          versions={versions}
          figures={[{ header: 'Endpoints', field: 'endpoints', value: (v) => v.endpointCount }]}
          rollback={canRollback ? rollbackMap : undefined}
          onRolledBack={() => setReloads((n) => n + 1)}
          diffPath={(from, to) => ['bots', botId, 'maps', 'diff', from, to]}
        />
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
