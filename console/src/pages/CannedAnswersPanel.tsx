import { type FormEvent, useState } from 'react';
import { api } from '../api';
import { Failure } from '../App';
import type { CannedAnswer } from '../desk-api';

/** The bot's saved answers: what operators pick in the reply form, edited here by any of them. */
export function CannedAnswersPanel({ botId, answers, onChange }: { botId: number; answers: CannedAnswer[]; onChange: () => void }) {
  const [editing, setEditing] = useState<CannedAnswer | null>(null);
  const [error, setError] = useState<unknown>(null);
  const path = `/bots/${botId}/desk/canned-answers`;

  const save = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const body = {
      title: String(data.get('title') ?? ''),
      text: String(data.get('text') ?? ''),
      quickReplies: String(data.get('quickReplies') ?? '').split(',').map((r) => r.trim()).filter(Boolean),
    };
    setError(null);
    try {
      await (editing ? api('PUT', `${path}/${editing.id}`, body) : api('POST', path, body));
      form.reset();
      setEditing(null);
      onChange();
    } catch (failure) {
      setError(failure);
    }
  };
  const remove = async (answer: CannedAnswer) => {
    if (!window.confirm(`Delete the saved answer "${answer.title}"?`)) return;
    await api('DELETE', `${path}/${answer.id}`).then(() => onChange(), setError);
  };

  return (
    <section aria-labelledby="answers-title" className="canned">
      <h2 id="answers-title">Saved answers</h2>
      <Failure error={error} />
      {answers.length > 0 && (
        <table aria-label="Saved answers" className="compact">
          <thead>
            <tr>
              <th>Title</th>
              <th>Text</th>
              <th>Quick replies</th>
              <th>Changed by</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {answers.map((answer) => (
              <tr key={answer.id} data-title={answer.title}>
                <td>{answer.title}</td>
                <td>{answer.text}</td>
                <td>{answer.quickReplies.join(', ') || '—'}</td>
                <td>{answer.updatedBy}</td>
                <td>
                  <div className="row-actions">
                    <button type="button" className="secondary" onClick={() => setEditing(answer)} aria-label={`Edit ${answer.title}`}>
                      Edit
                    </button>
                    <button type="button" className="secondary" onClick={() => void remove(answer)} aria-label={`Delete ${answer.title}`}>
                      Delete
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form className="filters canned-form" onSubmit={save} key={editing?.id ?? 'new'} aria-label={editing ? `Edit ${editing.title}` : 'New saved answer'}>
        <label>
          Title
          <input name="title" defaultValue={editing?.title ?? ''} maxLength={100} required />
        </label>
        <label className="wide">
          Text
          <input name="text" defaultValue={editing?.text ?? ''} maxLength={4096} required />
        </label>
        <label>
          Quick replies
          <input name="quickReplies" defaultValue={editing?.quickReplies.join(', ') ?? ''} placeholder="Yes, No" />
        </label>
        <div className="filter-actions">
          <button type="submit">{editing ? 'Save answer' : 'Add answer'}</button>
          {editing && (
            <button type="button" className="secondary" onClick={() => setEditing(null)}>
              Cancel
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
