import { createConsoleUser } from '../../src/console/users';
import type { Role } from '../../src/console/roles';
import type { TestBackend, TestResponse } from './test-backend';

/** A logged-in console browser, reduced to what it sends: the session cookie, the Origin and the CSRF token. */
export interface ConsoleClient {
  cookie: string;
  csrfToken: string;
  login: TestResponse;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<TestResponse>;
}

export const PASSWORD = 'correct horse battery staple';

export async function addConsoleUser(backend: TestBackend, email: string, role: Role, botIds: number[] = []) {
  return createConsoleUser(backend.ctx, { email, password: PASSWORD, role, botIds });
}

export function loginRequest(backend: TestBackend, email: string, password: string, headers: Record<string, string> = {}) {
  return backend.request('POST', '/console/api/login', { body: { email, password }, headers: { origin: backend.url, ...headers } });
}

export async function consoleLogin(backend: TestBackend, email: string, password = PASSWORD): Promise<ConsoleClient> {
  const login = await loginRequest(backend, email, password);
  if (login.status !== 200) throw new Error(`login of ${email} answered ${login.status}: ${JSON.stringify(login.body)}`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  const csrfToken = login.body.csrfToken as string;
  return {
    cookie,
    csrfToken,
    login,
    request: (method, path, body, headers = {}) =>
      backend.request(method, `/console/api${path}`, { body, headers: { cookie, origin: backend.url, 'x-csrf-token': csrfToken, ...headers } }),
  };
}
