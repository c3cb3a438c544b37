import { useEffect, useState } from 'react';
import { api, type StoredTemplate, type TemplateDiff } from '../api';
import { Failure } from '../App';
import { go, href } from '../route';
import { Side } from './MapDiffPage';
import { RollbackButton } from './RollbackButton';
import { rollbackTemplate } from './TemplatesPage';

/** Two versions of a template side by side, the lines that differ marked, and each changed field listed (as the map diff shows endpoints). */
export function TemplateDiffPage({ botId, name, from, to, canRollback }: { botId: number; name: string; from: number; to: number; canRollback: boolean }) {
  const [loaded, setData] = useState<{ key: string; a: StoredTemplate; b: StoredTemplate; diff: TemplateDiff } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const key = `${botId}:${name}:${from}:${to}`;
  useEffect(() => {
    setError(null);
    const base = `/bots/${botId}/templates/${encodeURIComponent(name)}`;
    Promise.all([
      api<{ template: StoredTemplate }>('GET', `${base}?version=${from}`),
      api<{ template: StoredTemplate }>('GET', `${base}?version=${to}`),
      api<{ diff: TemplateDiff }>('GET', `${base}/diff?from=${from}&to=${to}`),
    ]).then(([a, b, d]) => setData({ key, a: a.template, b: b.template, diff: d.diff }), setError);
  }, [botId, name, from, to, key]);

  // After a rollback the route changes before the new pair arrives: the old pair must not show under the new heading.
  const data = loaded?.key === key ? loaded : null;
  if (!data) return <Failure error={error} />;
  return (
    <section aria-labelledby="template-diff-title">
      <p>
        <a href={href(['bots', botId, 'templates', name, 'history'])}>← Versions of {name}</a>
      </p>
      <h1 id="template-diff-title">
        <span className="mono">{name}</span>: version {from} → version {to}
      </h1>
      <p className="summary">
        <span className="tag changed" data-field="changes">{data.diff.changes.length} changed</span>
        {canRollback && <RollbackButton botId={botId} version={from} rollback={rollbackTemplate(name)} onDone={(version) => go(['bots', botId, 'templates', name, 'diff', from, version])} />}
      </p>
      {data.diff.changes.length > 0 && (
        <ul className="changes" aria-label="Changes">
          {data.diff.changes.map((change, i) => (
            <li key={i}>
              <span className="mono">{change.path}</span>: {change.type}
              {'oldValue' in change && <> from <code>{JSON.stringify(change.oldValue)}</code></>}
              {'value' in change && <> to <code>{JSON.stringify(change.value)}</code></>}
            </li>
          ))}
        </ul>
      )}
      <div className="diff-head">
        <span>Version {from} · {data.a.author}</span>
        <span>Version {to} · {data.b.author}</span>
      </div>
      <div className={`diff-row ${data.diff.changes.length > 0 ? 'changed' : 'same'}`}>
        <div className="sides">
          <Side value={data.a.content} other={data.b.content} label={`version ${from}`} />
          <Side value={data.b.content} other={data.a.content} label={`version ${to}`} />
        </div>
      </div>
    </section>
  );
}
