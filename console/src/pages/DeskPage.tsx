import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { api, ApiFailure, type Session } from '../api';
import { Failure } from '../App';
import type { CannedAnswer, ConversationView, HistoryItem, Operator, QueueEntry } from '../desk-api';
import { time } from '../format';
import { href } from '../route';
import { CannedAnswersPanel } from './CannedAnswersPanel';

const QUEUES = [
  ['waiting', 'Waiting'],
  ['mine', 'Mine'],
  ['all', 'All'],
] as const;

/**
 * Bumps `tick` whenever the desk's stream says something changed (the browser reconnects by itself
 * when a stream ends). `stopped` once the browser gave up on it: an answer other than a stream (429:
 * this session holds every desk stream it may; 401: the session ended) is not retried.
 */
function useChanges(botId: number): { tick: number; stopped: boolean } {
  const [tick, setTick] = useState(0);
  const [stopped, setStopped] = useState(false);
  useEffect(() => {
    setStopped(false);
    const source = new EventSource(`/console/api/bots/${botId}/desk/stream`);
    source.addEventListener('change', () => setTick((n) => n + 1));
    source.addEventListener('error', () => setStopped(source.readyState === EventSource.CLOSED));
    return () => source.close();
  }, [botId]);
  return { tick, stopped };
}

function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);
  return now;
}

/** 0:42, 12:05, 1:02:09: how long someone has been waiting, to the second. */
function waited(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** What a 409 means to the operator who clicked. */
function explain(error: unknown, action: string): unknown {
  if (!(error instanceof ApiFailure) || error.status !== 409) return error;
  return new ApiFailure(409, action === 'take' ? `Another operator took this conversation first. ${error.message}` : `Not done: ${error.message}`);
}

export function DeskPage({ botId, session, leadId, params }: { botId: number; session: Session; leadId: string | undefined; params: URLSearchParams }) {
  const queue = params.get('queue') ?? 'waiting';
  const team = params.get('team') ?? '';
  const { tick, stopped } = useChanges(botId);
  const now = useNow();
  const [entries, setEntries] = useState<QueueEntry[] | null>(null);
  const [teams, setTeams] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [answers, setAnswers] = useState<CannedAnswer[] | null>(null);
  const [answerChanges, setAnswerChanges] = useState(0);

  useEffect(() => {
    api<{ answers: CannedAnswer[] }>('GET', `/bots/${botId}/desk/canned-answers`).then((a) => setAnswers(a.answers), setError);
  }, [botId, answerChanges]);
  useEffect(() => {
    const path = queue === 'team' ? `?queue=all${team ? `&team=${encodeURIComponent(team)}` : ''}` : `?queue=${queue}`;
    api<{ conversations: QueueEntry[] }>('GET', `/bots/${botId}/desk/conversations${path}`).then((a) => setEntries(a.conversations), setError);
    api<{ conversations: QueueEntry[] }>('GET', `/bots/${botId}/desk/conversations?queue=all`).then(
      (a) => setTeams([...new Set(a.conversations.map((c) => c.handover?.team).filter((t): t is string => Boolean(t)))].sort()),
      () => setTeams([]),
    );
  }, [botId, queue, team, tick]);

  const link = (lead: string | undefined, q = queue, t = team) => href(['bots', botId, 'desk', ...(lead ? [lead] : [])], { queue: q, team: q === 'team' ? t : undefined });

  return (
    <section aria-labelledby="desk-title" className="desk">
      <h1 id="desk-title">Desk</h1>
      <Failure error={error} />
      {stopped && (
        <p role="alert" className="error" data-field="live">
          Live updates are off: this login has too many desk pages open, or it has ended. Close another desk page, then reload this one.
        </p>
      )}
      <div className="desk-columns">
        <nav className="queues" aria-label="Queues">
          <div className="queue-tabs">
            {QUEUES.map(([name, label]) => (
              <a key={name} href={link(leadId, name)} className={queue === name ? 'active' : ''} aria-current={queue === name ? 'page' : undefined}>
                {label}
              </a>
            ))}
            <a href={link(leadId, 'team', team || teams[0] || '')} className={queue === 'team' ? 'active' : ''} aria-current={queue === 'team' ? 'page' : undefined}>
              By team
            </a>
          </div>
          {queue === 'team' && (
            <label className="team-picker">
              Team{' '}
              <select aria-label="Team" value={team} onChange={(e) => (window.location.hash = link(leadId, 'team', e.target.value))}>
                <option value="">every team</option>
                {teams.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </label>
          )}
          {entries && entries.length === 0 && <p className="muted">Nobody here.</p>}
          <ul className="queue" aria-label={`${queue === 'team' ? 'By team' : QUEUES.find(([n]) => n === queue)?.[1] ?? 'Queue'} conversations`}>
            {entries?.map((entry) => (
              <li key={entry.leadId} data-lead={entry.leadId} className={entry.leadId === leadId ? 'selected' : ''}>
                <a href={link(entry.leadId)}>
                  <span className="queue-name">{entry.person?.name ?? entry.leadId}</span>
                  <span className="queue-meta">
                    <span className="tag">{entry.person?.channel}</span>
                    <span className={`tag state-${entry.state}`}>{entry.state === 'assigned' ? entry.operator?.id : 'waiting'}</span>
                    {entry.handover?.team && <span className="tag">{entry.handover.team}</span>}
                    {entry.handover && entry.handover.priority !== 'normal' && <span className="tag bad">{entry.handover.priority}</span>}
                  </span>
                  {entry.handover && (
                    <span className="queue-waited">
                      waiting since <time dateTime={entry.handover.waitingSince}>{waited(now - Date.parse(entry.handover.waitingSince))}</time>
                    </span>
                  )}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        {leadId ? <ConversationPanel key={leadId} botId={botId} leadId={leadId} session={session} tick={tick} now={now} answers={answers ?? []} /> : <p className="muted desk-empty">Pick a conversation.</p>}
      </div>
      {session.permissions.includes('conversations.write') && answers && <CannedAnswersPanel botId={botId} answers={answers} onChange={() => setAnswerChanges((n) => n + 1)} />}
    </section>
  );
}

function ConversationPanel({ botId, leadId, session, tick, now, answers }: { botId: number; leadId: string; session: Session; tick: number; now: number; answers: CannedAnswer[] }) {
  const [view, setView] = useState<ConversationView | null>(null);
  const [operators, setOperators] = useState<Operator[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [reloads, setReloads] = useState(0);
  const [text, setText] = useState('');
  const [quickReplies, setQuickReplies] = useState('');
  const [note, setNote] = useState('');
  const [transferTo, setTransferTo] = useState('');
  const path = `/bots/${botId}/desk/conversations/${leadId}`;
  const me = session.user.email;
  const canWrite = session.permissions.includes('conversations.write');

  useEffect(() => {
    api<ConversationView>('GET', path).then(setView, setError);
  }, [path, tick, reloads]);
  useEffect(() => {
    api<{ operators: Operator[] }>('GET', `/bots/${botId}/desk/operators`).then((a) => setOperators(a.operators), () => setOperators([]));
  }, [botId]);

  const run = useCallback(
    async (action: string, body: unknown = {}) => {
      setBusy(true);
      setError(null);
      try {
        await api('POST', `${path}/${action}`, body);
        return true;
      } catch (failure) {
        setError(explain(failure, action));
        return false;
      } finally {
        setBusy(false);
        setReloads((n) => n + 1);
      }
    },
    [path],
  );

  const send = async (event: FormEvent) => {
    event.preventDefault();
    const replies = quickReplies.split(',').map((r) => r.trim()).filter(Boolean);
    if (await run('reply', { text, ...(replies.length ? { quickReplies: replies } : {}) })) {
      setText('');
      setQuickReplies('');
    }
  };
  const addNote = async (event: FormEvent) => {
    event.preventDefault();
    if (await run('notes', { text: note })) setNote('');
  };
  const pickAnswer = (id: string) => {
    const answer = answers.find((a) => String(a.id) === id);
    if (!answer) return;
    setText(answer.text);
    setQuickReplies(answer.quickReplies.join(', '));
  };

  if (!view) return <div className="conversation"><Failure error={error} /></div>;
  const { conversation, person, chats, history } = view;
  const mine = conversation.state === 'assigned' && conversation.operator?.id === me;
  const othersHaveIt = conversation.state === 'assigned' && !mine;
  const mayManage = mine || (conversation.state === 'waiting') || (othersHaveIt && session.user.role === 'admin');

  return (
    <article className="conversation" aria-labelledby="conversation-title">
      <header className="conversation-head">
        <h2 id="conversation-title">{person.name}</h2>
        <p className="conversation-state" data-state={conversation.state}>
          {conversation.state === 'assigned' ? `With ${conversation.operator?.id === me ? 'you' : conversation.operator?.id}` : conversation.state === 'waiting' ? 'Waiting for an operator' : conversation.state === 'held' ? 'Held by a workflow' : 'With the bot'}
          {conversation.handover && (
            <>
              {' '}· waiting since <time dateTime={conversation.handover.waitingSince}>{waited(now - Date.parse(conversation.handover.waitingSince))}</time>
              {conversation.handover.reason && <> · {conversation.handover.reason}</>}
              {conversation.handover.team && <> · team {conversation.handover.team}</>}
            </>
          )}
        </p>
        <p className="muted">
          Chats: {chats.map((c) => `${c.name} (${c.channel})`).join(', ')}
        </p>
      </header>
      {canWrite && (
        <div className="conversation-actions">
          {!mine && conversation.state !== 'bot' && conversation.state !== 'held' && (
            <button type="button" disabled={busy} onClick={() => void run('take')}>
              Take
            </button>
          )}
          {mayManage && (conversation.state === 'waiting' || conversation.state === 'assigned') && (
            <span className="transfer">
              <select aria-label="Transfer to" value={transferTo} onChange={(e) => setTransferTo(e.target.value)}>
                <option value="">transfer to…</option>
                {operators.filter((o) => o.email !== conversation.operator?.id).map((o) => (
                  <option key={o.email} value={o.email}>
                    {o.email}
                  </option>
                ))}
              </select>
              <button type="button" className="secondary" disabled={busy || !transferTo} onClick={() => void run('transfer', { operator: transferTo })}>
                Transfer
              </button>
            </span>
          )}
          {mayManage && (conversation.state === 'waiting' || conversation.state === 'assigned') && (
            <button type="button" className="secondary" disabled={busy} onClick={() => void run('return')}>
              Return to bot
            </button>
          )}
          {mayManage && (
            <button type="button" className="secondary" disabled={busy} onClick={() => void run('close')}>
              Close
            </button>
          )}
        </div>
      )}
      <Failure error={error} />
      <ol className="history" aria-label="History">
        {history.length === 0 && <li className="muted">Nothing written yet.</li>}
        {history.map((item) => (
          <HistoryEntry key={`${item.type}-${item.id}`} item={item} />
        ))}
      </ol>
      {canWrite && (mine || conversation.state === 'waiting') && (
        <form className="reply" onSubmit={send} aria-label="Answer the person">
          <label>
            Saved answer
            <select aria-label="Saved answer" value="" onChange={(e) => pickAnswer(e.target.value)}>
              <option value="">pick one to fill the reply…</option>
              {answers.map((a) => (
                <option key={a.id} value={a.id}>
                  {a.title}
                </option>
              ))}
            </select>
          </label>
          <label>
            Reply
            <textarea aria-label="Reply" value={text} onChange={(e) => setText(e.target.value)} rows={3} maxLength={4096} required />
          </label>
          <label>
            <span>
              Quick replies <span className="muted">(comma-separated buttons)</span>
            </span>
            <input aria-label="Quick replies" value={quickReplies} onChange={(e) => setQuickReplies(e.target.value)} />
          </label>
          <button type="submit" disabled={busy || !text.trim()}>
            Send
          </button>
        </form>
      )}
      {canWrite && (
        <form className="reply note-form" onSubmit={addNote} aria-label="Add a note">
          <label>
            <span>
              Internal note <span className="muted">(never sent to the person)</span>
            </span>
            <textarea aria-label="Internal note" value={note} onChange={(e) => setNote(e.target.value)} rows={2} maxLength={4096} required />
          </label>
          <button type="submit" className="secondary" disabled={busy || !note.trim()}>
            Add note
          </button>
        </form>
      )}
    </article>
  );
}

function HistoryEntry({ item }: { item: HistoryItem }) {
  if (item.type === 'note') {
    return (
      <li className="entry note" data-kind="note">
        <span className="entry-who">Note · {item.author}</span>
        <span className="entry-text">{item.text}</span>
        <time className="entry-at" dateTime={item.at}>{time(Date.parse(item.at))}</time>
      </li>
    );
  }
  const text = typeof item.body.text === 'string' ? item.body.text : item.kind === 'button' ? `tapped ${String(item.body.data ?? item.body.text ?? '')}` : item.kind;
  const quick = Array.isArray(item.body.quickReplies) ? (item.body.quickReplies as string[]) : [];
  return (
    <li className={`entry ${item.direction}`} data-kind={item.direction}>
      <span className="entry-who">
        {item.direction === 'in' ? 'Person' : item.operator}
        <span className="tag">{item.channel}</span>
      </span>
      <span className="entry-text">{text}</span>
      {quick.length > 0 && <span className="entry-quick">{quick.map((q) => <span key={q} className="tag">{q}</span>)}</span>}
      <time className="entry-at" dateTime={item.at}>{time(Date.parse(item.at))}</time>
    </li>
  );
}
