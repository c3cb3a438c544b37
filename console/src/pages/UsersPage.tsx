import { type FormEvent, useEffect, useState } from 'react';
import { api, type Bot, type ConsoleUser } from '../api';
import { Failure } from '../App';
import { time } from '../format';

const ROLES = ['admin', 'architect', 'manager', 'analyst', 'operator'];

export function UsersPage({ bots }: { bots: Bot[] }) {
  const [users, setUsers] = useState<ConsoleUser[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reloads, setReloads] = useState(0);
  useEffect(() => {
    api<{ users: ConsoleUser[] }>('GET', '/users').then((a) => setUsers(a.users), setError);
  }, [reloads]);

  const create = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    setError(null);
    try {
      await api('POST', '/users', {
        email: data.get('email'),
        password: data.get('password'),
        role: data.get('role'),
        botIds: data.getAll('botIds').map(Number),
      });
      form.reset();
      setReloads((n) => n + 1);
    } catch (failure) {
      setError(failure);
    }
  };
  const disable = async (email: string) => {
    if (!window.confirm(`Disable ${email} and end its sessions?`)) return;
    await api('POST', '/users/disable', { email }).then(() => setReloads((n) => n + 1), setError);
  };

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Console accounts</h1>
      <Failure error={error} />
      {users && (
        <table aria-label="Console accounts">
          <thead>
            <tr>
              <th>Email</th>
              <th>Role</th>
              <th>Bots</th>
              <th>Created</th>
              <th>State</th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <tr key={user.id}>
                <td>{user.email}</td>
                <td>{user.role}</td>
                <td>{user.botIds.length ? user.botIds.join(', ') : 'every bot'}</td>
                <td>{time(user.createdAt)}</td>
                <td>{user.disabledAt ? `disabled ${time(user.disabledAt)}` : <button type="button" className="secondary" onClick={() => disable(user.email)}>Disable</button>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>New account</h2>
      <form className="filters" onSubmit={create}>
        <label>
          Email
          <input name="email" type="email" required />
        </label>
        <label>
          Password (12+ characters)
          <input name="password" type="password" minLength={12} autoComplete="new-password" required />
        </label>
        <label>
          Role
          <select name="role">
            {ROLES.map((role) => (
              <option key={role}>{role}</option>
            ))}
          </select>
        </label>
        <fieldset>
          <legend>Bots (none: every bot)</legend>
          {bots.map((bot) => (
            <label key={bot.id} className="inline">
              <input type="checkbox" name="botIds" value={bot.id} /> {bot.name}
            </label>
          ))}
        </fieldset>
        <div className="filter-actions">
          <button type="submit">Create</button>
        </div>
      </form>
    </section>
  );
}
