import fc from 'fast-check';

/**
 * Property tests and the API fuzzer run with a fixed seed, so CI is deterministic: the same
 * requests and histories on every run. `npm run fuzz` sets FC_RANDOM_SEED=1 to explore new
 * seeds; a seed that finds a bug becomes a fixed regression case next to the test it broke.
 */
if (process.env.FC_RANDOM_SEED !== '1') fc.configureGlobal({ seed: Number(process.env.FC_SEED ?? 20_261_201) });
