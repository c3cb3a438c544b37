import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      // The modules loaded on first use rather than at start, through a typed `require` beside
      // the code that needs them (docs/ARCHITECTURE.md, "Memory at start"); anything else is an import.
      '@typescript-eslint/no-require-imports': [
        'error',
        { allow: ['^\\./liquid$', '^\\./params-ajv$', '^pg$', '^libphonenumber-js/max$', '^@node-rs/argon2$', '^csv-(parse|stringify)/sync$'] },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
