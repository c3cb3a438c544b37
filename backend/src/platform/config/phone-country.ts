import type * as Libphonenumber from 'libphonenumber-js/max';
import type { CountryCode } from 'libphonenumber-js/max';
import { z } from 'zod';

/**
 * libphonenumber with its full metadata (1.7 MB of heap), loaded on the first phone number or
 * country checked, not at start: the default country (config's DEFAULT_PHONE_COUNTRY) is not parsed.
 */
export const phoneNumbers = () => require('libphonenumber-js/max') as typeof Libphonenumber;

/** An ISO 3166-1 alpha-2 country libphonenumber knows, for numbers written without a country code. */
export const phoneCountrySchema = z
  .string()
  .trim()
  .toUpperCase()
  .refine((code) => phoneNumbers().isSupportedCountry(code), 'must be a two-letter country code such as RU')
  .transform((code) => code as CountryCode);
