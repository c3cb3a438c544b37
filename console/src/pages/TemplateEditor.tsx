import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { api, ApiFailure, type StoredTemplate, type TemplateContent, type TemplateDraftPreview, type TemplateDraftPreviewRequest, type TemplateProblem } from '../api';
import { Failure } from '../App';
import { go, href } from '../route';

/** How long typing pauses before the draft is rendered again. */
const PREVIEW_DELAY_MS = 300;

interface ButtonDraft {
  label: string;
  kind: 'data' | 'url';
  value: string;
  row: number;
}

interface VariantDraft {
  language: string;
  text: string;
  /** One label per line, in the order of the buttons (data and URLs stay the default's), as the n8n node takes them. */
  labels: string;
  /** Buttons laid out unlike the default's (written through the API): kept as they are, not relabelled. */
  ownButtons?: Button[][];
}

interface Draft {
  text: string;
  parseMode: '' | 'HTML' | 'MarkdownV2';
  buttons: ButtonDraft[];
  variants: VariantDraft[];
}

type Button = NonNullable<TemplateContent['buttons']>[number][number];

/** Whether a variant's buttons are the default's with other labels: same rows, same data and URLs. */
function sameLayout(own: Button[][], rows: Button[][]): boolean {
  return own.length === rows.length && own.every((row, r) => row.length === rows[r].length && row.every((b, c) => b.data === rows[r][c].data && b.url === rows[r][c].url));
}

function draftOf(content: TemplateContent): Draft {
  const rows = content.buttons ?? [];
  const buttons = rows.flatMap((row, r) => row.map((b) => ({ label: b.text, kind: b.url ? ('url' as const) : ('data' as const), value: b.url ?? b.data ?? '', row: r + 1 })));
  const variants = Object.entries(content.variants ?? {}).map(([language, v]) =>
    !v.buttons || sameLayout(v.buttons, rows) ? { language, text: v.text, labels: (v.buttons ?? []).flat().map((b) => b.text).join('\n') } : { language, text: v.text, labels: '', ownButtons: v.buttons },
  );
  return { text: content.text, parseMode: content.parseMode ?? '', buttons, variants };
}

function rowsOf(buttons: ButtonDraft[]): Button[][] {
  const rows = [...new Set(buttons.map((b) => b.row))].sort((a, b) => a - b);
  return rows.map((row) => buttons.filter((b) => b.row === row).map((b) => ({ text: b.label, ...(b.value ? { [b.kind]: b.value } : {}) })));
}

/** A variant's labels replace the default buttons' labels in order; a variant without labels uses the default buttons. */
function relabelled(rows: Button[][], labels: string): Button[][] | undefined {
  const given = labels.split('\n').map((l) => l.trim()).filter(Boolean);
  if (given.length === 0) return undefined;
  let i = 0;
  return rows.map((row) => row.map((b) => ({ ...b, text: given[i++] ?? b.text })));
}

function variantButtons(variant: VariantDraft, rows: Button[][]): { buttons?: Button[][] } {
  if (variant.ownButtons) return { buttons: variant.ownButtons };
  const labelled = rows.length ? relabelled(rows, variant.labels) : undefined;
  return labelled ? { buttons: labelled } : {};
}

function contentOf(draft: Draft): TemplateContent {
  const buttons = rowsOf(draft.buttons);
  const variants = draft.variants.filter((v) => v.language.trim() !== '');
  return {
    text: draft.text,
    ...(draft.parseMode ? { parseMode: draft.parseMode } : {}),
    ...(buttons.length ? { buttons } : {}),
    ...(variants.length
      ? { variants: Object.fromEntries(variants.map((v) => [v.language.trim().toLowerCase(), { text: v.text, ...variantButtons(v, buttons) }])) }
      : {}),
  };
}

const FIELD_NAMES: Record<string, string> = { text: 'Text', previewFor: 'Preview for', parseMode: 'Parse mode', buttons: 'Buttons', variants: 'Language variants' };

/** Where a problem is, in the editor's words: the field, then line and column. */
export function whereOf(problem: TemplateProblem): string {
  const path = problem.path.replace(/^content\./, '');
  const button = /^(?:variants\.([^.]+)\.)?buttons\.(\d+)\.(\d+)/.exec(path);
  const variant = /^variants\.([^.]+)\./.exec(path);
  const field = button ? `Button ${Number(button[3]) + 1} of row ${Number(button[2]) + 1}${button[1] ? ` (language ${button[1]})` : ''}` : variant ? `Language variant "${variant[1]}"` : (FIELD_NAMES[path] ?? path);
  return problem.line ? `${field}, line ${problem.line}, column ${problem.column}` : field;
}

function Problems({ problems, label }: { problems: TemplateProblem[]; label: string }) {
  if (problems.length === 0) return null;
  return (
    <ul className="problems" aria-label={label}>
      {problems.map((p, i) => (
        <li key={i}>
          <strong>{whereOf(p)}</strong>: {p.message}
        </li>
      ))}
    </ul>
  );
}

interface Target {
  kind: 'sample' | 'lead' | 'user';
  id: string;
  firstName: string;
  language: string;
}

function previewRequest(content: TemplateContent, target: Target, params: Record<string, unknown>): TemplateDraftPreviewRequest {
  if (target.kind === 'sample') return { content, params, sample: { ...(target.firstName ? { firstName: target.firstName } : {}), ...(target.language ? { language: target.language } : {}) } };
  return { content, params, previewFor: target.kind === 'lead' ? { leadId: target.id } : { userId: target.id } };
}

/** The draft rendered for the chosen person as it is typed: the backend's dry-run render, called after a pause in typing. */
function LivePreview({ botId, content }: { botId: number; content: TemplateContent }) {
  const [target, setTarget] = useState<Target>({ kind: 'sample', id: '', firstName: 'Ann', language: '' });
  const [paramsText, setParamsText] = useState('{}');
  const [answer, setAnswer] = useState<{ preview: TemplateDraftPreview['preview']; problems: TemplateProblem[]; failure?: string } | null>(null);
  const latest = useRef(0);
  const params = useMemo(() => {
    try {
      const value = JSON.parse(paramsText || '{}') as unknown;
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  }, [paramsText]);
  // Nothing to render yet (no text, no person named, parameters that are not JSON): no request, and the last answer goes.
  const body = JSON.stringify(params === undefined || content.text === '' || (target.kind !== 'sample' && !target.id.trim()) ? null : previewRequest(content, target, params));

  useEffect(() => {
    const request = ++latest.current;
    if (body === 'null') return setAnswer(null);
    const timer = setTimeout(() => {
      api<TemplateDraftPreview>('POST', `/bots/${botId}/template-preview`, JSON.parse(body)).then(
        (a) => request === latest.current && setAnswer({ preview: a.preview, problems: a.errors }),
        (e: unknown) => request === latest.current && setAnswer({ preview: null, problems: e instanceof ApiFailure ? e.errors : [], failure: e instanceof Error ? e.message : String(e) }),
      );
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
  }, [botId, body]);

  const set = (change: Partial<Target>) => setTarget((now) => ({ ...now, ...change }));
  return (
    <aside className="live-preview" aria-labelledby="preview-title">
      <h2 id="preview-title">Preview</h2>
      <div className="filters">
        <label>
          Preview for
          <select value={target.kind} onChange={(e) => set({ kind: e.target.value as Target['kind'] })}>
            <option value="sample">Sample values</option>
            <option value="lead">A lead</option>
            <option value="user">A user</option>
          </select>
        </label>
        {target.kind === 'sample' ? (
          <>
            <label>
              Sample first name
              <input value={target.firstName} onChange={(e) => set({ firstName: e.target.value })} maxLength={200} />
            </label>
            <label>
              Sample language
              <input value={target.language} onChange={(e) => set({ language: e.target.value })} maxLength={16} placeholder="en, ru, pt-br" />
            </label>
          </>
        ) : (
          <label>
            {target.kind === 'lead' ? 'Lead ID' : 'User ID'}
            <input value={target.id} onChange={(e) => set({ id: e.target.value })} maxLength={200} />
          </label>
        )}
        <label>
          Parameters (JSON)
          <input value={paramsText} onChange={(e) => setParamsText(e.target.value)} className="mono" />
        </label>
      </div>
      {content.text === '' && <p className="muted">Write a text to see it rendered.</p>}
      {params === undefined && <p className="error" role="alert">The parameters are not a JSON object.</p>}
      {answer?.failure && <p className="error" role="alert">{answer.failure}</p>}
      <Problems problems={answer?.problems ?? []} label="Template errors" />
      {answer?.preview && (
        <div className="rendered-message">
          <p className="muted" data-field="language">{answer.preview.language ? `Language variant "${answer.preview.language}"` : 'Default text'}</p>
          <pre className="rendered" aria-label="Rendered text">{answer.preview.text}</pre>
          {answer.preview.buttons?.map((row, r) => (
            <div className="rendered-buttons" key={r}>
              {row.map((b, c) => (
                <span className="rendered-button" key={c}>{b.text}</span>
              ))}
            </div>
          ))}
          {answer.preview.unknown.length > 0 && (
            <>
              <p>No value for this person:</p>
              <Problems problems={answer.preview.unknown} label="Unknown placeholders" />
            </>
          )}
        </div>
      )}
    </aside>
  );
}

function ButtonsField({ buttons, onChange }: { buttons: ButtonDraft[]; onChange: (next: ButtonDraft[]) => void }) {
  const change = (i: number, patch: Partial<ButtonDraft>) => onChange(buttons.map((b, j) => (j === i ? { ...b, ...patch } : b)));
  return (
    <fieldset>
      <legend>Buttons</legend>
      {buttons.map((b, i) => (
        <div className="button-draft" key={i}>
          <label>
            Button {i + 1} label
            <input value={b.label} onChange={(e) => change(i, { label: e.target.value })} maxLength={200} />
          </label>
          <label>
            Kind
            <select value={b.kind} onChange={(e) => change(i, { kind: e.target.value as ButtonDraft['kind'] })}>
              <option value="data">Answer</option>
              <option value="url">Link</option>
            </select>
          </label>
          <label>
            {b.kind === 'url' ? 'URL' : 'Data'}
            <input value={b.value} onChange={(e) => change(i, { value: e.target.value })} />
          </label>
          <label>
            Row
            <input type="number" min={1} max={100} value={b.row} onChange={(e) => change(i, { row: Number(e.target.value) || 1 })} />
          </label>
          <button type="button" className="secondary" onClick={() => onChange(buttons.filter((_, j) => j !== i))}>Remove</button>
        </div>
      ))}
      <button type="button" className="secondary" onClick={() => onChange([...buttons, { label: '', kind: 'data', value: '', row: (buttons.at(-1)?.row ?? 0) + 1 }])}>
        Add button
      </button>
    </fieldset>
  );
}

function VariantsField({ variants, onChange }: { variants: VariantDraft[]; onChange: (next: VariantDraft[]) => void }) {
  const change = (i: number, patch: Partial<VariantDraft>) => onChange(variants.map((v, j) => (j === i ? { ...v, ...patch } : v)));
  return (
    <fieldset>
      <legend>Language variants</legend>
      <p className="muted">A person whose language (from the channel, else the lead's language attribute) has a variant gets it; everybody else the text above.</p>
      {variants.map((v, i) => (
        <div className="variant-draft" key={i}>
          <label>
            Language code
            <input value={v.language} onChange={(e) => change(i, { language: e.target.value })} maxLength={12} placeholder="ru" />
          </label>
          <label>
            Text in this language
            <textarea value={v.text} onChange={(e) => change(i, { text: e.target.value })} rows={4} />
          </label>
          {v.ownButtons ? (
            <p className="muted">This language has buttons of its own ({v.ownButtons.flat().map((b) => b.text).join(', ')}), kept as they are.</p>
          ) : (
            <label>
              Button labels in this language (one per line)
              <textarea value={v.labels} onChange={(e) => change(i, { labels: e.target.value })} rows={2} />
            </label>
          )}
          <button type="button" className="secondary" onClick={() => onChange(variants.filter((_, j) => j !== i))}>Remove language</button>
        </div>
      ))}
      <button type="button" className="secondary" onClick={() => onChange([...variants, { language: '', text: '', labels: '' }])}>
        Add language
      </button>
    </fieldset>
  );
}

/**
 * Creates a template (`name` undefined) or writes its next version, with the live preview beside
 * it. Saving needs `templates.write`; without it the page shows the text and no Save button.
 */
export function TemplateEditor({ botId, name, canWrite }: { botId: number; name?: string; canWrite: boolean }) {
  const [draft, setDraft] = useState<Draft | null>(name === undefined ? { text: '', parseMode: '', buttons: [], variants: [] } : null);
  const [newName, setNewName] = useState('');
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [saving, setSaving] = useState(false);
  const [placeholders, setPlaceholders] = useState<string[]>([]);
  const textId = useId();

  useEffect(() => {
    if (name === undefined) return;
    api<{ template: StoredTemplate }>('GET', `/bots/${botId}/templates/${encodeURIComponent(name)}`).then((a) => setDraft(draftOf(a.template.content)), setError);
  }, [botId, name]);
  useEffect(() => {
    if (canWrite) api<{ placeholders: Array<{ path: string }> }>('GET', `/bots/${botId}/template-placeholders`).then((a) => setPlaceholders(a.placeholders.map((p) => p.path)), () => setPlaceholders([]));
  }, [botId, canWrite]);
  const content = useMemo(() => (draft ? contentOf(draft) : null), [draft]);

  if (!draft || !content) return <Failure error={error} />;
  const target = name ?? newName.trim();
  const save = async () => {
    setSaving(true);
    setError(null);
    try {
      await api('POST', `/bots/${botId}/templates/${encodeURIComponent(target)}`, { content, comment: comment || undefined });
      go(['bots', botId, 'templates', target, 'history']);
    } catch (failure) {
      setError(failure);
    } finally {
      setSaving(false);
    }
  };
  const set = (patch: Partial<Draft>) => setDraft({ ...draft, ...patch });

  return (
    <section aria-labelledby="editor-title">
      <p>
        <a href={name ? href(['bots', botId, 'templates', name, 'history']) : href(['bots', botId, 'templates'])}>← {name ? `Versions of ${name}` : 'Templates'}</a>
      </p>
      <h1 id="editor-title">{name ? <>Edit <span className="mono">{name}</span></> : 'New template'}</h1>
      <div className="editor">
        <form className="template-form" onSubmit={(e) => e.preventDefault()}>
          {name === undefined && (
            <label>
              Name
              <input value={newName} onChange={(e) => setNewName(e.target.value)} maxLength={100} placeholder="welcome" />
            </label>
          )}
          {name === undefined && <span className="muted">Lower-case letters, digits, ".", "_" and "-": what a workflow names.</span>}
          {/* Labelled by id: a control inside its label would add its own value to the label's name. */}
          <label htmlFor={textId}>Text</label>
          <textarea id={textId} value={draft.text} onChange={(e) => set({ text: e.target.value })} rows={8} />
          <span className="muted">
            <code>[[ lead.firstName ]]</code> is each person's own value; <code>[% if … %]…[% endif %]</code> a condition.
          </span>
          {placeholders.length > 0 && (
            <p className="placeholders" aria-label="Placeholders">
              {placeholders.map((p) => (
                <code key={p}>[[ {p} ]]</code>
              ))}
            </p>
          )}
          <label>
            Parse mode
            <select value={draft.parseMode} onChange={(e) => set({ parseMode: e.target.value as Draft['parseMode'] })}>
              <option value="">Plain text</option>
              <option value="HTML">HTML</option>
              <option value="MarkdownV2">MarkdownV2</option>
            </select>
          </label>
          <ButtonsField buttons={draft.buttons} onChange={(buttons) => set({ buttons })} />
          <VariantsField variants={draft.variants} onChange={(variants) => set({ variants })} />
          {canWrite && (
            <>
              <label>
                Comment
                <input value={comment} onChange={(e) => setComment(e.target.value)} maxLength={1000} placeholder="What changed and why" />
              </label>
              <Failure error={error} />
              {error instanceof ApiFailure && <Problems problems={error.errors} label="Why it was not saved" />}
              <p>
                <button type="button" onClick={save} disabled={saving || target === ''}>
                  {name ? 'Save new version' : 'Save template'}
                </button>
              </p>
            </>
          )}
        </form>
        {canWrite && <LivePreview botId={botId} content={content} />}
      </div>
    </section>
  );
}
