import { useCallback, useEffect, useState } from 'react';
import { api, ApiFailure, type Bot, rememberCsrf, type Session } from './api';
import { AnalyticsPage } from './pages/AnalyticsPage';
import { CommunicationPage } from './pages/CommunicationPage';
import { DeskPage } from './pages/DeskPage';
import { LoginPage } from './pages/LoginPage';
import { MapsPage } from './pages/MapsPage';
import { MapDiffPage } from './pages/MapDiffPage';
import { TemplateDiffPage } from './pages/TemplateDiffPage';
import { TemplateEditor } from './pages/TemplateEditor';
import { TemplateHistoryPage, TemplatesPage } from './pages/TemplatesPage';
import { TracePage } from './pages/TracePage';
import { TracesPage } from './pages/TracesPage';
import { UsersPage } from './pages/UsersPage';
import { go, href, useRoute } from './route';

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [bots, setBots] = useState<Bot[]>([]);

  const adopt = useCallback((next: Session | null) => {
    rememberCsrf(next?.csrfToken ?? '');
    setSession(next);
  }, []);

  useEffect(() => {
    api<Session>('GET', '/session').then(adopt, () => adopt(null));
  }, [adopt]);
  useEffect(() => {
    if (session) api<{ bots: Bot[] }>('GET', '/bots').then((answer) => setBots(answer.bots), () => setBots([]));
  }, [session]);

  if (session === undefined) return <p className="loading">Loading…</p>;
  if (session === null) return <LoginPage onLogin={adopt} />;
  return <Shell session={session} bots={bots} onLogout={() => adopt(null)} />;
}

function Shell({ session, bots, onLogout }: { session: Session; bots: Bot[]; onLogout: () => void }) {
  const route = useRoute();
  const can = (permission: Session['permissions'][number]) => session.permissions.includes(permission);
  const botId = route.path[0] === 'bots' ? Number(route.path[1]) : bots[0]?.id;
  const section = route.path[0] === 'bots' ? route.path[2] : route.path[0];

  useEffect(() => {
    if (route.path.length === 0 && bots.length > 0) go(['bots', bots[0].id, can('traces.read') ? 'traces' : 'maps']);
  });

  const logout = async (everywhere: boolean) => {
    await api('POST', everywhere ? '/logout-everywhere' : '/logout').catch(() => undefined);
    onLogout();
  };

  return (
    <div className="shell">
      <header className="topbar">
        <strong className="brand">Metabot console</strong>
        <label className="bot-picker">
          Bot{' '}
          <select aria-label="Bot" value={botId ?? ''} onChange={(e) => go(['bots', e.target.value, section ?? 'traces'])}>
            {bots.map((bot) => (
              <option key={bot.id} value={bot.id}>
                {bot.id} · {bot.name}
              </option>
            ))}
          </select>
        </label>
        <nav aria-label="Sections">
          {botId !== undefined && can('traces.read') && <a className={section === 'traces' ? 'active' : ''} href={href(['bots', botId, 'traces'])}>Traces</a>}
          {botId !== undefined && can('maps.read') && <a className={section === 'maps' ? 'active' : ''} href={href(['bots', botId, 'maps'])}>Maps</a>}
          {botId !== undefined && can('analytics.read') && <a className={section === 'analytics' ? 'active' : ''} href={href(['bots', botId, 'analytics'])}>Analytics</a>}
          {botId !== undefined && can('conversations.read') && <a className={section === 'desk' ? 'active' : ''} href={href(['bots', botId, 'desk'])}>Desk</a>}
          {botId !== undefined && can('templates.read') && <a className={section === 'templates' ? 'active' : ''} href={href(['bots', botId, 'templates'])}>Templates</a>}
          {can('users.manage') && <a className={section === 'users' ? 'active' : ''} href={href(['users'])}>Users</a>}
        </nav>
        <span className="who">
          {session.user.email} <span className="role">{session.user.role}</span>
        </span>
        <button type="button" onClick={() => logout(false)}>Log out</button>
        <button type="button" className="secondary" onClick={() => logout(true)}>Log out everywhere</button>
      </header>
      <main>
        <Page session={session} botId={botId} bots={bots} />
      </main>
    </div>
  );
}

function Page({ session, botId, bots }: { session: Session; botId: number | undefined; bots: Bot[] }) {
  const route = useRoute();
  const [first, , section, item, ...rest] = route.path;
  if (first === 'users') return <UsersPage bots={bots} />;
  if (first !== 'bots' || botId === undefined) return bots.length === 0 ? <p>No bot is visible to this account.</p> : null;
  if (section === 'traces' && item) return <TracePage botId={botId} traceId={item} />;
  if (section === 'traces') return <TracesPage botId={botId} params={route.params} />;
  if (section === 'maps' && item === 'diff') return <MapDiffPage botId={botId} from={Number(rest[0])} to={Number(rest[1])} canRollback={session.permissions.includes('maps.write')} />;
  if (section === 'maps') return <MapsPage botId={botId} canRollback={session.permissions.includes('maps.write')} />;
  const timeZone = bots.find((bot) => bot.id === botId)?.timezone ?? 'UTC';
  if (section === 'templates' && session.permissions.includes('templates.read')) return <TemplatesRoute botId={botId} item={item} rest={rest} canWrite={session.permissions.includes('templates.write')} />;
  if (section === 'analytics' && item === 'communications' && rest[0] && session.permissions.includes('analytics.read')) return <CommunicationPage botId={botId} alias={rest[0]} params={route.params} timeZone={timeZone} />;
  if (section === 'analytics' && session.permissions.includes('analytics.read')) return <AnalyticsPage botId={botId} params={route.params} canExport={session.permissions.includes('analytics.export')} timeZone={timeZone} />;
  if (section === 'desk' && session.permissions.includes('conversations.read')) return <DeskPage botId={botId} session={session} leadId={item} params={route.params} />;
  return <p>Nothing here.</p>;
}

/** `templates`, `templates/new`, `templates/:name/history|edit`, `templates/:name/diff/:from/:to`. */
function TemplatesRoute({ botId, item, rest, canWrite }: { botId: number; item?: string; rest: string[]; canWrite: boolean }) {
  if (item === 'new' && rest.length === 0) return canWrite ? <TemplateEditor key="new" botId={botId} canWrite /> : <p>Nothing here.</p>;
  if (item && rest[0] === 'edit') return <TemplateEditor key={item} botId={botId} name={item} canWrite={canWrite} />;
  if (item && rest[0] === 'diff') return <TemplateDiffPage botId={botId} name={item} from={Number(rest[1])} to={Number(rest[2])} canRollback={canWrite} />;
  if (item) return <TemplateHistoryPage botId={botId} name={item} canWrite={canWrite} />;
  return <TemplatesPage botId={botId} canWrite={canWrite} />;
}

/** An error from the API as the page shows it. */
export function Failure({ error }: { error: unknown }) {
  if (!error) return null;
  const message = error instanceof ApiFailure ? `${error.message} (HTTP ${error.status})` : String(error);
  return (
    <p role="alert" className="error">
      {message}
    </p>
  );
}
