import { useState } from 'react';
import { time } from '../format';
import { go } from '../route';
import { RollbackButton } from './RollbackButton';

/** What a map version and a template version share: the table shows these. */
export interface HistoryVersion {
  version: number;
  author: string;
  authorKind?: string | null;
  comment: string;
  rolledBackFrom: number | null;
  createdAt: number;
}

/** A figure of each version beyond the shared ones (a map's endpoint count), in its own column. */
export interface FigureColumn<V> {
  header: string;
  field: string;
  value: (version: V) => number;
}

export function versionComment(v: HistoryVersion): string {
  return v.comment || (v.rolledBackFrom ? `rollback to ${v.rolledBackFrom}` : '');
}

/** The two newest versions, oldest first: what a page opens compared. */
const newestPair = (versions: HistoryVersion[]) => versions.slice(0, 2).map((v) => v.version).reverse();

/**
 * A versioned thing's history, newest first: pick two versions to compare (opens `diffPath`), and
 * roll back to an older one when `rollback` is given (the newest is already current).
 */
export function VersionHistoryTable<V extends HistoryVersion>({
  label,
  botId,
  versions,
  figures = [],
  rollback,
  onRolledBack,
  diffPath,
}: {
  label: string;
  botId: number;
  versions: V[];
  figures?: FigureColumn<V>[];
  rollback?: (botId: number, version: number, comment: string | undefined) => Promise<number>;
  onRolledBack: () => void;
  diffPath: (from: number, to: number) => Array<string | number>;
}) {
  // A new history (first load, or after a rollback) starts again from its two newest versions.
  const [shown, setShown] = useState(versions);
  const [picked, setPicked] = useState(() => newestPair(versions));
  if (shown !== versions) {
    setShown(versions);
    setPicked(newestPair(versions));
  }

  const toggle = (version: number) => setPicked((now) => (now.includes(version) ? now.filter((v) => v !== version) : [...now, version].slice(-2)).sort((a, b) => a - b));

  return (
    <>
      <h2>Versions</h2>
      <table className="versions" aria-label={label}>
        <thead>
          <tr>
            <th>Compare</th>
            <th className="num">Version</th>
            <th>Date</th>
            <th>Author</th>
            <th>Comment</th>
            {figures.map((figure) => (
              <th key={figure.field} className="num">
                {figure.header}
              </th>
            ))}
            {rollback && <th>Rollback</th>}
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
              <td>
                {v.author}
                {v.authorKind && <span className="tag">{v.authorKind}</span>}
              </td>
              <td>{versionComment(v)}</td>
              {figures.map((figure) => (
                <td key={figure.field} className="num" data-field={figure.field}>
                  {figure.value(v)}
                </td>
              ))}
              {rollback && <td>{index > 0 && <RollbackButton botId={botId} version={v.version} rollback={rollback} onDone={onRolledBack} />}</td>}
            </tr>
          ))}
        </tbody>
      </table>
      <p>
        <button type="button" disabled={picked.length !== 2} onClick={() => go(diffPath(picked[0], picked[1]))}>
          Compare {picked.length === 2 ? `${picked[0]} and ${picked[1]}` : 'two versions'}
        </button>
      </p>
    </>
  );
}
