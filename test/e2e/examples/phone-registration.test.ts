/**
 * The phone-registration example (examples/workflows/phone-registration.json) in a real n8n: people
 * act in the Telegram stand-in, the CRM is the user-API stand-in, the code goes out through the SMS
 * gateway stand-in (bearer token, E.164, one-segment limits), and the test reads it from what the
 * gateway sent, as the person reads their phone.
 */
import { describeWithN8n } from '../../nodes/support/n8n-runtime';
import { type CrmStandin, startCrmStandin } from '../support/crm-standin';
import { type SmsGateway, smsSize, startSmsGateway } from '../support/sms-gateway-standin';
import { type CrmUser, crmUserRoutes } from './support/crm-users';
import { type ExampleStack, startExampleStack } from './support/example-stack';

jest.setTimeout(120_000);

const SMS_TOKEN = 'sms-gateway-test-token';
const SENDER = 'MyShop';

const users: CrmUser[] = [
  { userId: 127, surname: 'Pushkina', name: 'Anna', role: 'user', isActive: true, phone: '79187777777' },
  { userId: 128, surname: 'Orlov', name: 'Boris', role: 'user', isActive: true, phone: '79180000128' },
  { userId: 129, surname: 'Lisina', name: 'Vera', role: 'user', isActive: true, phone: '79180000129' },
  { userId: 130, surname: 'Gromov', name: 'Gleb', role: 'user', isActive: true, phone: '79180000130' },
];

/** A six-digit code that is not `code`. */
const otherThan = (code: string) => String((Number(code) + 1) % 1_000_000).padStart(6, '0');

describe('the SMS gateway stand-in enforces what a gateway refuses', () => {
  let gateway: SmsGateway;
  beforeAll(async () => {
    gateway = await startSmsGateway({ token: SMS_TOKEN, maxSegments: 3 });
  });
  afterAll(() => gateway.close());

  const errorCode = async (answer: Response) => ((await answer.json()) as { error: { code: string } }).error.code;
  const post = (body: unknown, token: string | null = SMS_TOKEN) =>
    fetch(`${gateway.url}/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });

  it('answers 401 without the token or with a wrong one, and sends nothing', async () => {
    expect((await post({ to: '+79187777777', text: 'hi' }, null)).status).toBe(401);
    expect((await post({ to: '+79187777777', text: 'hi' }, 'wrong')).status).toBe(401);
    expect(gateway.sent).toEqual([]);
  });

  it('refuses a number that is not E.164 and an empty text', async () => {
    for (const to of ['79187777777', '+7 918 777-77-77', '+0123456789', '+1234', '+7918777777712345']) {
      const answer = await post({ to, text: 'hi' });
      expect([to, answer.status, await errorCode(answer)]).toEqual([to, 400, 'invalid_number']);
    }
    expect(await errorCode(await post({ to: '+79187777777', text: '' }))).toBe('empty_text');
  });

  it('counts GSM-7 septets (extension characters twice) and UCS-2 units, and refuses more than the segments allowed', async () => {
    expect(smsSize('a'.repeat(160))).toEqual({ encoding: 'gsm7', units: 160, segments: 1 });
    expect(smsSize('a'.repeat(161))).toEqual({ encoding: 'gsm7', units: 161, segments: 2 });
    expect(smsSize('€'.repeat(80))).toEqual({ encoding: 'gsm7', units: 160, segments: 1 });
    expect(smsSize('я'.repeat(70))).toEqual({ encoding: 'ucs2', units: 70, segments: 1 });
    expect(smsSize('я'.repeat(71))).toEqual({ encoding: 'ucs2', units: 71, segments: 2 });
    expect((await post({ to: '+79187777777', text: 'я'.repeat(202) })).status).toBe(400);
    const accepted = await post({ to: '+79187777777', text: 'я'.repeat(201), from: SENDER });
    expect(accepted.status).toBe(201);
    expect(await accepted.json()).toEqual({ id: expect.stringMatching(/^msg_/), status: 'queued', to: '+79187777777', encoding: 'ucs2', segments: 3 });
    expect(gateway.sent).toHaveLength(1);
  });
});

describeWithN8n('example: registration by phone with an SMS code, in a real n8n', () => {
  let crm: CrmStandin;
  let gateway: SmsGateway;
  let stack: ExampleStack;

  beforeAll(async () => {
    crm = await startCrmStandin(crmUserRoutes(users));
    gateway = await startSmsGateway({ token: SMS_TOKEN });
    stack = await startExampleStack({
      // The workflow answers the person's own chat events only: the CRM calls no endpoint of the bot.
      map: { name: 'Phone registration', endpoints: [] },
      workflows: { 'phone-registration': { crmUrl: crm.url, smsGatewayUrl: gateway.url, smsSender: SENDER } },
      credentials: [{ id: 'smsGatewayExample', name: 'SMS gateway', type: 'httpBearerAuth', data: { token: SMS_TOKEN } }],
    });
  }, 600_000);

  afterAll(async () => {
    await stack?.close();
    await gateway?.close();
    await crm?.close();
  }, 60_000);

  const texts = (chatId: number) => stack.telegram.messagesTo(chatId).map((m) => m.text ?? '');
  /** The bot's next message after the `seen` ones. */
  async function nextText(chatId: number, seen: number): Promise<string> {
    await stack.telegram.waitFor(() => texts(chatId).length > seen, 60_000);
    return texts(chatId)[seen];
  }
  const leadChats = async (userId: number) => (((await stack.api('GET', `/users/${userId}`)).body.user?.leads ?? []) as Array<{ chatId: string }>).map((lead) => lead.chatId);
  /** The code in the newest SMS to the number, as the person reads it. */
  const codeSentTo = (phone: string) => /\b(\d{6})\b/.exec(gateway.textsTo(phone).at(-1) ?? '')?.[1] ?? '';

  /** /start, then the phone (shared or typed): resolves with the code the gateway delivered, once the bot asked for it. */
  async function startAndGiveTheCode(chatId: number, firstName: string, phone: { share: string } | { type: string }, crmPhone: string): Promise<string> {
    stack.telegram.setUser(chatId, { first_name: firstName });
    const seen = texts(chatId).length;
    stack.telegram.userStarts(chatId);
    expect(await nextText(chatId, seen)).toBe('To register, share your phone number with the button below, or type it (for example +7 918 777-77-77).');
    if ('share' in phone) {
      stack.telegram.shareContact(chatId, phone.share);
      // The backend acknowledges a shared contact itself (and takes the contact keyboard away).
      expect(await nextText(chatId, seen + 1)).toBe('Thank you, your phone number has been received.');
    } else stack.telegram.userSends(chatId, phone.type);
    expect(await nextText(chatId, seen + ('share' in phone ? 2 : 1))).toBe(`We sent a code by SMS to your number ending in ${crmPhone.slice(-4)}. Type it here; it is valid for 5 minutes.`);
    return codeSentTo(`+${crmPhone}`);
  }

  it('happy path: /start, the shared phone, the code from the SMS → the chat is linked to the CRM user and the CRM told', async () => {
    const ANNA = 9401;
    const code = await startAndGiveTheCode(ANNA, 'Anna', { share: '+7 918 777-77-77' }, '79187777777');
    const ask = stack.telegram.messagesTo(ANNA)[0];
    expect(ask.replyMarkup).toEqual({ keyboard: [[{ text: 'Share my phone number', request_contact: true }]], resize_keyboard: true, one_time_keyboard: true });
    expect(crm.calls.filter((c) => c.path === '/user').map((c) => c.query)).toEqual([{ phone: '79187777777' }]);
    // To the CRM's number, in E.164, with the token (the gateway refuses anything else), in one GSM-7 segment.
    expect(gateway.sent).toEqual([{ id: expect.any(String), to: '+79187777777', from: SENDER, text: `Your code: ${code}. It is valid for 5 minutes. Do not share it with anyone.`, encoding: 'gsm7', segments: 1 }]);
    expect(await leadChats(127)).toEqual([]);

    stack.telegram.userSends(ANNA, `${code.slice(0, 3)} ${code.slice(3)}`);
    expect(await nextText(ANNA, 3)).toBe('Your phone is confirmed, Anna! Your account is connected: your notifications will come here.');
    expect(await leadChats(127)).toEqual([String(ANNA)]);
    const user = (await stack.api('GET', '/users/127')).body.user;
    expect(user.leads[0]).toMatchObject({ chatId: String(ANNA), channel: 'telegram' });
    expect(crm.received.filter((r) => r.path === '/users/connect-bot').map((r) => r.body)).toEqual([{ userId: '127', leadId: user.leads[0].id, channel: 'telegram' }]);

    stack.telegram.userStarts(ANNA);
    expect(await nextText(ANNA, 4)).toBe('You are already connected, Anna. Your notifications come here.');
  });

  it('a wrong code says how many attempts are left; the right one still links', async () => {
    const BORIS = 9402;
    const code = await startAndGiveTheCode(BORIS, 'Boris', { type: '+7 (918) 000-01-28' }, '79180000128');
    stack.telegram.userSends(BORIS, otherThan(code));
    expect(await nextText(BORIS, 2)).toBe('Wrong code, 4 attempts left.');
    stack.telegram.userSends(BORIS, 'my code?');
    expect(await nextText(BORIS, 3)).toBe('The code is six digits, like 123456. Type it again.');
    expect(await leadChats(128)).toEqual([]);
    stack.telegram.userSends(BORIS, code);
    expect(await nextText(BORIS, 4)).toBe('Your phone is confirmed, Boris! Your account is connected: your notifications will come here.');
    expect(await leadChats(128)).toEqual([String(BORIS)]);
  });

  it('an expired code: "the code expired, send /start again", and nothing is linked', async () => {
    const VERA = 9403;
    const code = await startAndGiveTheCode(VERA, 'Vera', { type: '79180000129' }, '79180000129');
    // Five minutes pass for this code: the stored row is aged. (Moving the backend's clock instead
    // would also age the webhook signatures past n8n's 300 s tolerance.)
    const codes = stack.backend.ctx.db('verification_codes').where({ bot_id: stack.botId, user_id: '129' });
    expect(await codes.clone().update({ created_at: stack.backend.ctx.db.raw('created_at - 301000'), expires_at: stack.backend.ctx.db.raw('expires_at - 301000') })).toBe(1);
    stack.telegram.userSends(VERA, code);
    expect(await nextText(VERA, 2)).toBe('The code expired, send /start again.');
    expect(await leadChats(129)).toEqual([]);
    // The step is forgotten: the same code again is an ordinary message.
    stack.telegram.userSends(VERA, code);
    expect(await nextText(VERA, 3)).toBe('Hi Vera! Tap Register to connect your account with your phone number.');
    expect(stack.telegram.messagesTo(VERA)[3].replyMarkup).toEqual({ inline_keyboard: [[{ text: 'Register', callback_data: 'register' }]] });
  });

  it('five wrong codes, then "too many attempts": even the right code no longer links; Register starts over', async () => {
    const GLEB = 9404;
    const code = await startAndGiveTheCode(GLEB, 'Gleb', { type: '+79180000130' }, '79180000130');
    const wrong = otherThan(code);
    const answers: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      stack.telegram.userSends(GLEB, wrong);
      answers.push(await nextText(GLEB, 2 + attempt));
    }
    expect(answers).toEqual(['Wrong code, 4 attempts left.', 'Wrong code, 3 attempts left.', 'Wrong code, 2 attempts left.', 'Wrong code, 1 attempt left.', 'Wrong code, and that was the last attempt. Send /start to get a new code.']);
    stack.telegram.userSends(GLEB, code);
    expect(await nextText(GLEB, 7)).toBe('Too many attempts. Send /start to get a new code.');
    expect(await leadChats(130)).toEqual([]);

    stack.telegram.userSends(GLEB, 'hi');
    expect(await nextText(GLEB, 8)).toBe('Hi Gleb! Tap Register to connect your account with your phone number.');
    stack.telegram.tapButton(GLEB, 'register');
    expect(await nextText(GLEB, 9)).toBe('To register, share your phone number with the button below, or type it (for example +7 918 777-77-77).');
    stack.telegram.userSends(GLEB, '+79180000130');
    expect(await nextText(GLEB, 10)).toMatch(/^We sent a code by SMS to your number ending in 0130/);
  });

  it('a fourth code within the hour is refused (Start Verification to its error output): "try again in an hour", no SMS', async () => {
    const GLEB = 9404;
    // Gleb had two codes above; the third is allowed, the fourth is not.
    await startAndGiveTheCode(GLEB, 'Gleb', { type: '+79180000130' }, '79180000130');
    const sms = gateway.textsTo('+79180000130').length;
    expect(sms).toBe(3);
    const seen = texts(GLEB).length;
    stack.telegram.userStarts(GLEB);
    await nextText(GLEB, seen);
    stack.telegram.userSends(GLEB, '+79180000130');
    expect(await nextText(GLEB, seen + 1)).toBe('Too many codes were requested for this account. Please try again in an hour.');
    expect(gateway.textsTo('+79180000130')).toHaveLength(sms);
  });

  it('a phone the CRM does not know, and text that is no phone, are answered without a code', async () => {
    const STRANGER = 9405;
    stack.telegram.setUser(STRANGER, { first_name: 'Sam' });
    stack.telegram.userStarts(STRANGER);
    await nextText(STRANGER, 0);
    stack.telegram.userSends(STRANGER, 'hello');
    expect(await nextText(STRANGER, 1)).toBe('That does not look like a phone number. Type it with the country code, for example +7 918 777-77-77.');
    const sms = gateway.sent.length;
    stack.telegram.userSends(STRANGER, '+7 999 000-00-00');
    expect(await nextText(STRANGER, 2)).toBe('No account has the number +79990000000. Check it and type it again, or register on our website first.');
    expect(gateway.sent).toHaveLength(sms);
  });
});
