import { useRef, useState } from 'react';
import { api } from '../api';
import { Failure } from '../App';

/** Rolls the bot's map back to `version`; answers the new current version. */
export const rollbackMap = async (botId: number, version: number, comment: string | undefined) =>
  (await api<{ map: { version: number } }>('POST', `/bots/${botId}/maps/rollback`, { version, comment })).map.version;

/**
 * Rollback asks first: a dialog names the version and takes an optional comment. A map's by
 * default; `rollback` rolls back something else versioned the same way (a library template) and
 * answers the new version.
 */
export function RollbackButton({ botId, version, onDone, rollback = rollbackMap }: { botId: number; version: number; onDone: (newVersion: number) => void; rollback?: typeof rollbackMap }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>(null);

  const confirm = async () => {
    try {
      const newVersion = await rollback(botId, version, comment || undefined);
      dialog.current?.close();
      onDone(newVersion);
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <>
      <button type="button" className="secondary" onClick={() => dialog.current?.showModal()}>
        Roll back to {version}
      </button>
      <dialog ref={dialog} aria-labelledby={`rollback-${version}`}>
        <h2 id={`rollback-${version}`}>Roll back to version {version}?</h2>
        <p>Version {version} becomes the new current version; the history keeps every version.</p>
        <label>
          Comment
          <input value={comment} onChange={(e) => setComment(e.target.value)} maxLength={1000} />
        </label>
        <Failure error={error} />
        <div className="dialog-actions">
          <button type="button" onClick={confirm}>Roll back</button>
          <button type="button" className="secondary" onClick={() => dialog.current?.close()}>Cancel</button>
        </div>
      </dialog>
    </>
  );
}
