import type { StandinRoutes } from '../../support/crm-standin';

/** A CRM user as the main system's `GET /user` answers it. */
export interface CrmUser {
  userId: number;
  surname: string;
  name: string;
  patronymic?: string;
  role: string;
  isActive: boolean;
  phone: string;
  email?: string;
  location?: { country?: string; region?: string; city?: string };
}

const digits = (phone: unknown) => String(phone ?? '').replace(/\D/g, '');

/**
 * The main system's user API: `GET /user?userId=|phone=|email=` (not found → 404
 * `{success:false, message}`), `POST /user` (registration: answers the new user with its userId),
 * `POST /users/connect-bot` (the flag "this user connected the bot").
 */
export function crmUserRoutes(users: CrmUser[], firstNewId = 1000): StandinRoutes {
  let nextId = firstNewId;
  return {
    'GET /user': ({ query }) => {
      const user = users.find(
        (u) => (query.userId && String(u.userId) === query.userId) || (query.phone && digits(u.phone) === digits(query.phone)) || (query.email && u.email === query.email),
      );
      return user ? { body: user } : { status: 404, body: { success: false, message: 'Пользователь не найден' } };
    },
    'POST /user': ({ body }) => {
      const user: CrmUser = { userId: nextId++, surname: body.lastname ?? '', name: body.firstname ?? '', role: body.role ?? 'user', isActive: true, phone: digits(body.phone), email: body.email };
      users.push(user);
      return { body: user };
    },
    'POST /users/connect-bot': ({ body }) =>
      users.some((u) => String(u.userId) === String(body?.userId)) ? { body: { success: true } } : { body: { success: false, message: 'Пользователь не найден' } },
  };
}
