import { type CountryCode, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';
import type { Bot } from '../bots/bots';
import type { Config } from '../platform/config/config';

/** An ISO 3166-1 alpha-2 country libphonenumber knows, for numbers written without a country code. */
export const phoneCountrySchema = z
  .string()
  .trim()
  .toUpperCase()
  .refine(isSupportedCountry, 'must be a two-letter country code such as RU')
  .transform((code) => code as CountryCode);

/** The bot's `settings.identity.defaultPhoneCountry`, else DEFAULT_PHONE_COUNTRY. */
export function defaultPhoneCountry(bot: Bot, config: Pick<Config, 'DEFAULT_PHONE_COUNTRY'>): CountryCode {
  const identity = bot.settings.identity as { defaultPhoneCountry?: unknown } | undefined;
  const own = phoneCountrySchema.safeParse(identity?.defaultPhoneCountry);
  return own.success ? own.data : config.DEFAULT_PHONE_COUNTRY;
}

/**
 * E.164 (`+79181234567`), or undefined when the text is not one valid phone number: "8 918 123-45-67"
 * and "+7 918 123 45 67" are the same phone in Russia. A number written without its country code
 * is read in `country`; failing that, as an international number missing its "+" ("4915112345678").
 */
export function toE164(text: string, country: CountryCode): string | undefined {
  const written = text.trim().replace(/^00/, '+');
  const readings = written.startsWith('+') ? [written] : [written, `+${written}`];
  for (const reading of readings) {
    const phone = parsePhoneNumberFromString(reading, { defaultCountry: country, extract: false });
    if (phone?.isValid()) return phone.number;
  }
  return undefined;
}
