import { useEffect, useState } from 'react';
import { api, type StoredTemplate, type TemplateVersion } from '../api';
import { Failure } from '../App';
import { time } from '../format';
import { href } from '../route';
import { VersionHistoryTable, versionComment } from './VersionHistoryTable';

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

export const rollbackTemplate = (name: string) => async (botId: number, version: number, comment: string | undefined) =>
  (await api<{ template: StoredTemplate }>('POST', `/bots/${botId}/templates/${encodeURIComponent(name)}/rollback`, { version, comment })).template.version;

/** One template: its current content and its history, two versions to compare, and rollback for a writer. */
export function TemplateHistoryPage({ botId, name, canWrite }: { botId: number; name: string; canWrite: boolean }) {
  const [versions, setVersions] = useState<TemplateVersion[] | null>(null);
  const [current, setCurrent] = useState<StoredTemplate | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);
  const base = `/bots/${botId}/templates/${encodeURIComponent(name)}`;

  useEffect(() => {
    setError(null);
    const load = async () => {
      const [history, latest] = await Promise.all([api<{ versions: TemplateVersion[] }>('GET', `${base}/versions`), api<{ template: StoredTemplate }>('GET', base)]);
      setVersions(history.versions);
      setCurrent(latest.template);
    };
    load().catch(setError);
  }, [base, reloads]);

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
        <VersionHistoryTable
          label="Template versions"
          botId={botId}
          versions={versions}
          rollback={canWrite ? rollbackTemplate(name) : undefined}
          onRolledBack={() => setReloads((n) => n + 1)}
          diffPath={(from, to) => ['bots', botId, 'templates', name, 'diff', from, to]}
        />
      )}
    </section>
  );
}
