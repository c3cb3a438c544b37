import { useEffect, useState } from 'react';
import { api, type StoredTemplate, type TemplateVersion } from '../api';
import { Failure } from '../App';
import { time } from '../format';
import { go, href } from '../route';
import { RollbackButton } from './RollbackButton';

/** The bot's template library: every template at its current version. */
export function TemplatesPage({ botId, canWrite }: { botId: number; canWrite: boolean }) {
  const [templates, setTemplates] = useState<TemplateVersion[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    setError(null);
    api<{ templates: TemplateVersion[] }>('GET', `/bots/${botId}/templates`).then((answer) => setTemplates(answer.templates), setError);
  }, [botId]);

  return (
    <section aria-labelledby="templates-title">
      <h1 id="templates-title">Message templates</h1>
      <p className="muted">A workflow sends a template by its name; a change here is what the next send renders.</p>
      {canWrite && (
        <p>
          <a className="button" href={href(['bots', botId, 'templates', 'new'])}>New template</a>
        </p>
      )}
      <Failure error={error} />
      {templates && templates.length === 0 && <p>This bot has no templates yet.</p>}
      {templates && templates.length > 0 && (
        <table aria-label="Templates">
          <thead>
            <tr>
              <th>Name</th>
              <th className="num">Version</th>
              <th>Changed</th>
              <th>By</th>
              <th>Comment</th>
            </tr>
          </thead>
          <tbody>
            {templates.map((t) => (
              <tr key={t.name} data-template={t.name}>
                <td className="mono">
                  <a href={href(['bots', botId, 'templates', t.name, 'history'])}>{t.name}</a>
                </td>
                <td className="num">{t.version}</td>
                <td>{time(t.createdAt)}</td>
                <td>{t.author}</td>
                <td>{versionComment(t)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function versionComment(v: TemplateVersion): string {
  return v.comment || (v.rolledBackFrom ? `rollback to ${v.rolledBackFrom}` : '');
}

export const rollbackTemplate = (name: string) => async (botId: number, version: number, comment: string | undefined) =>
  (await api<{ template: StoredTemplate }>('POST', `/bots/${botId}/templates/${encodeURIComponent(name)}/rollback`, { version, comment })).template.version;

/** One template: its current content and its history, two versions to compare, and rollback for a writer. */
export function TemplateHistoryPage({ botId, name, canWrite }: { botId: number; name: string; canWrite: boolean }) {
  const [versions, setVersions] = useState<TemplateVersion[] | null>(null);
  const [current, setCurrent] = useState<StoredTemplate | null>(null);
  const [picked, setPicked] = useState<number[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);
  const base = `/bots/${botId}/templates/${encodeURIComponent(name)}`;

  useEffect(() => {
    setError(null);
    const load = async () => {
      const [history, latest] = await Promise.all([api<{ versions: TemplateVersion[] }>('GET', `${base}/versions`), api<{ template: StoredTemplate }>('GET', base)]);
      setVersions(history.versions);
      setCurrent(latest.template);
      setPicked(history.versions.slice(0, 2).map((v) => v.version).reverse());
    };
    load().catch(setError);
  }, [base, reloads]);

  const toggle = (version: number) => setPicked((now) => (now.includes(version) ? now.filter((v) => v !== version) : [...now, version].slice(-2)).sort((a, b) => a - b));

  return (
    <section aria-labelledby="template-title">
      <p>
        <a href={href(['bots', botId, 'templates'])}>← Templates</a>
      </p>
      <h1 id="template-title">
        Template <span className="mono">{name}</span>
      </h1>
      <Failure error={error} />
      {current && (
        <>
          <p className="summary">
            <span>Current version {current.version}</span>
            {canWrite && <a className="button" href={href(['bots', botId, 'templates', name, 'edit'])}>Edit</a>}
          </p>
          <pre className="side" aria-label="Current content">{JSON.stringify(current.content, null, 2)}</pre>
        </>
      )}
      {versions && (
        <>
          <h2>Versions</h2>
          <table className="versions" aria-label="Template versions">
            <thead>
              <tr>
                <th>Compare</th>
                <th className="num">Version</th>
                <th>Date</th>
                <th>Author</th>
                <th>Comment</th>
                {canWrite && <th>Rollback</th>}
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
                  <td>{v.author}</td>
                  <td>{versionComment(v)}</td>
                  {canWrite && <td>{index > 0 && <RollbackButton botId={botId} version={v.version} rollback={rollbackTemplate(name)} onDone={() => setReloads((n) => n + 1)} />}</td>}
                </tr>
              ))}
            </tbody>
          </table>
          <p>
            <button type="button" disabled={picked.length !== 2} onClick={() => go(['bots', botId, 'templates', name, 'diff', picked[0], picked[1]])}>
              Compare {picked.length === 2 ? `${picked[0]} and ${picked[1]}` : 'two versions'}
            </button>
          </p>
        </>
      )}
    </section>
  );
}
