import { useRef, useState } from 'react';
import { api } from '../api';
import { Failure } from '../App';

/** Rollback asks first: a dialog names the version and takes an optional comment. */
export function RollbackButton({ botId, version, onDone }: { botId: number; version: number; onDone: (newVersion: number) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<unknown>(null);

  const confirm = async () => {
    try {
      const answer = await api<{ map: { version: number } }>('POST', `/bots/${botId}/maps/rollback`, { version, comment: comment || undefined });
      dialog.current?.close();
      onDone(answer.map.version);
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
