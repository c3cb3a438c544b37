/**
 * Outside services the example workflows call, as stand-ins answering in the real services' shapes
 * (on the routed recorder of crm-standin.ts): favqs (quote of the day), weatherapi.com (current
 * weather and its hourly forecast) and YooKassa (payments and their notifications).
 */
import crypto from 'node:crypto';
import { type CrmStandin, startCrmStandin, type StandinAnswer } from './crm-standin';

export interface Quote {
  body: string;
  author: string;
}

/** favqs.com: `GET /api/qotd` → `{qotd_date, quote: {id, body, author, tags, ...}}`, no key needed. */
export function startFavqs(quote: Quote): Promise<CrmStandin> {
  return startCrmStandin({
    'GET /api/qotd': () => ({
      body: {
        qotd_date: new Date().toISOString(),
        quote: {
          id: 4,
          dialogue: false,
          private: false,
          tags: ['life'],
          url: 'https://favqs.com/quotes/x/4',
          favorites_count: 3,
          upvotes_count: 5,
          downvotes_count: 0,
          author: quote.author,
          author_permalink: quote.author.toLowerCase().replace(/\s+/g, '-'),
          body: quote.body,
        },
      },
    }),
  });
}

export interface CurrentWeather {
  name: string;
  country: string;
  tempC: number;
  condition: { text: string; code: number };
}

/**
 * weatherapi.com: `GET /v1/current.json?key=&q=&aqi=no` and `GET /v1/forecast.json?key=&q=&days=`
 * (1–14 days of 24 hours each). A wrong key is 401 with error 2006, an unknown place 400 with error
 * 1006, as the service answers.
 */
export function startWeatherApi(apiKey: string, places: CurrentWeather[]): Promise<CrmStandin> {
  const placeOf = (query: Record<string, unknown>): CurrentWeather | StandinAnswer => {
    if (!query.key) return { status: 401, body: { error: { code: 1002, message: 'API key is invalid or not provided.' } } };
    if (query.key !== apiKey) return { status: 401, body: { error: { code: 2006, message: 'API key is invalid.' } } };
    const place = places.find((p) => p.name.toLowerCase() === String(query.q ?? '').trim().toLowerCase());
    return place ?? { status: 400, body: { error: { code: 1006, message: 'No matching location found.' } } };
  };
  return startCrmStandin({
    'GET /v1/current.json': ({ query }) => {
      const place = placeOf(query);
      return 'name' in place ? { body: currentJson(place) } : place;
    },
    'GET /v1/forecast.json': ({ query }) => {
      const place = placeOf(query);
      const days = Number(query.days ?? 1);
      if (!('name' in place)) return place;
      if (!Number.isInteger(days) || days < 1 || days > 14) return { status: 400, body: { error: { code: 1003, message: 'Parameter days is invalid.' } } };
      return { body: forecastJson(place, days) };
    },
  });
}

/**
 * The place's local clock of the forecast: 21:30 on 21 November 2026 in Moscow (UTC+3), fixed so the
 * next 24 hours are known to the test. Hours 09–17 are a degree warmer and overcast, the others a
 * degree colder with light snow below 09:00.
 */
const FORECAST_NOW_EPOCH = Date.UTC(2026, 10, 21, 18, 30) / 1000;
const FORECAST_FIRST_DAY = Date.UTC(2026, 10, 21) / 1000 - 3 * 3600;

function forecastHour(place: CurrentWeather, epoch: number) {
  const local = new Date((epoch + 3 * 3600) * 1000).toISOString();
  const hour = Number(local.slice(11, 13));
  const condition = hour < 9 ? { text: 'Light snow', code: 1213 } : { text: 'Overcast', code: 1009 };
  const tempC = place.tempC + (hour >= 9 && hour < 18 ? 1 : -1);
  return { time_epoch: epoch, time: `${local.slice(0, 10)} ${local.slice(11, 16)}`, temp_c: tempC, temp_f: Math.round((tempC * 9) / 5 + 32), is_day: hour >= 8 && hour < 17 ? 1 : 0, condition: { ...condition, icon: `//cdn.weatherapi.com/weather/64x64/day/${condition.code}.png` }, wind_kph: 9.4, humidity: 85, cloud: 90, chance_of_rain: 0, chance_of_snow: condition.code === 1213 ? 80 : 10 };
}

function forecastJson(place: CurrentWeather, days: number) {
  const current = currentJson(place);
  return {
    location: { ...current.location, localtime_epoch: FORECAST_NOW_EPOCH, localtime: '2026-11-21 21:30' },
    current: current.current,
    forecast: {
      forecastday: Array.from({ length: days }, (_, d) => {
        const start = FORECAST_FIRST_DAY + d * 86_400;
        const hours = Array.from({ length: 24 }, (_h, h) => forecastHour(place, start + h * 3600));
        const temps = hours.map((h) => h.temp_c);
        return { date: hours[0].time.slice(0, 10), date_epoch: start, day: { maxtemp_c: Math.max(...temps), mintemp_c: Math.min(...temps), condition: hours[12].condition }, hour: hours };
      }),
    },
  };
}

function currentJson(place: CurrentWeather) {
  const epoch = Math.floor(Date.now() / 1000);
  return {
    location: { name: place.name, region: '', country: place.country, lat: 55.75, lon: 37.62, tz_id: 'Europe/Moscow', localtime_epoch: epoch, localtime: '2026-11-21 21:30' },
    current: {
      last_updated_epoch: epoch,
      last_updated: '2026-11-21 21:30',
      temp_c: place.tempC,
      temp_f: Math.round((place.tempC * 9) / 5 + 32),
      is_day: 0,
      condition: { text: place.condition.text, icon: `//cdn.weatherapi.com/weather/64x64/night/${place.condition.code}.png`, code: place.condition.code },
      wind_kph: 11.2,
      wind_dir: 'SW',
      pressure_mb: 1012,
      precip_mm: 0.1,
      humidity: 87,
      cloud: 75,
      feelslike_c: place.tempC - 3,
      vis_km: 10,
      uv: 0,
      gust_kph: 18.4,
    },
  };
}

type Payment = Record<string, any>;

export interface YooKassa extends CrmStandin {
  payments: Map<string, Payment>;
  /** Idempotence-Key → payment id, as YooKassa keeps them. */
  idempotenceKeys: Map<string, string>;
  /** What the shop's YooKassa dashboard calls on status changes. */
  notificationUrl: string;
  /** The customer paid: the payment succeeds and YooKassa notifies the shop; called again, it repeats the notification. */
  succeed(paymentId: string): Promise<number>;
}

const yookassaError = (status: number, code: string, description: string): StandinAnswer => ({
  status,
  body: { type: 'error', id: crypto.randomUUID(), code, description },
});

/**
 * YooKassa API v3: `POST /v3/payments` (HTTP Basic shopId:secretKey, `Idempotence-Key` required;
 * the same key returns the first payment) → `{id, status: 'pending', confirmation: {type:
 * 'redirect', confirmation_url}, ...}`; `GET /v3/payments/{id}`; notifications are
 * `{type: 'notification', event: 'payment.succeeded', object: <payment>}`.
 */
export async function startYooKassa(shopId: string, secretKey: string): Promise<YooKassa> {
  const payments = new Map<string, Payment>();
  const idempotenceKeys = new Map<string, string>();
  const authorized = (authorization: string | undefined) => authorization === `Basic ${Buffer.from(`${shopId}:${secretKey}`).toString('base64')}`;

  function createPayment(key: string | undefined, body: any): StandinAnswer {
    if (!key) return yookassaError(400, 'invalid_request', 'Idempotence-Key header is missing');
    const earlier = idempotenceKeys.get(key);
    if (earlier) return { body: payments.get(earlier) };
    if (!body?.amount?.value || !body?.amount?.currency || body?.confirmation?.type !== 'redirect') {
      return yookassaError(400, 'invalid_request', 'amount and a redirect confirmation are required');
    }
    const id = crypto.randomUUID();
    const payment: Payment = {
      id,
      status: 'pending',
      paid: false,
      amount: body.amount,
      confirmation: { type: 'redirect', return_url: body.confirmation.return_url, confirmation_url: `https://yoomoney.ru/checkout/payments/v2/contract?orderId=${id}` },
      created_at: new Date().toISOString(),
      description: body.description,
      metadata: body.metadata ?? {},
      recipient: { account_id: shopId, gateway_id: '100500' },
      refundable: false,
      test: true,
    };
    payments.set(id, payment);
    idempotenceKeys.set(key, id);
    return { body: payment };
  }

  const standin = await startCrmStandin({
    'POST /v3/payments': ({ headers, body }) =>
      authorized(headers.authorization) ? createPayment(headers['idempotence-key'] as string | undefined, body) : yookassaError(401, 'invalid_credentials', 'Login has invalid format'),
    'GET /v3/payments/:id': ({ headers, params }) => {
      if (!authorized(headers.authorization)) return yookassaError(401, 'invalid_credentials', 'Login has invalid format');
      const payment = payments.get(params.id);
      return payment ? { body: payment } : yookassaError(404, 'not_found', 'Payment not found');
    },
  });
  const yookassa: YooKassa = {
    ...standin,
    payments,
    idempotenceKeys,
    notificationUrl: '',
    async succeed(paymentId) {
      const payment = payments.get(paymentId)!;
      if (payment.status === 'pending') capture(payment);
      const notification = { type: 'notification', event: 'payment.succeeded', object: payment };
      const res = await fetch(yookassa.notificationUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(notification) });
      return res.status;
    },
  };
  return yookassa;
}

function capture(payment: Payment): void {
  Object.assign(payment, {
    status: 'succeeded',
    paid: true,
    captured_at: new Date().toISOString(),
    income_amount: payment.amount,
    payment_method: { type: 'bank_card', id: payment.id, saved: false, title: 'Bank card *4444' },
    refundable: true,
  });
  delete payment.confirmation;
}
