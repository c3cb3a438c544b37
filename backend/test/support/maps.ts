/** A small communication map used across tests: the seed-004 user account endpoints. */
export const userAccountMap = {
  name: 'User account',
  endpoints: [
    {
      alias: 'users/update',
      purpose: 'The user changed their data in the CRM',
      owner: 'CRM team',
      params: {
        type: 'object',
        required: ['userId', 'role'],
        properties: {
          userId: { type: ['integer', 'string'] },
          role: { type: 'string' },
          firstname: { type: 'string' },
          active: { type: 'boolean' },
        },
      },
    },
    {
      alias: 'users/connect-bot',
      purpose: 'The user wants to activate the bot',
      owner: 'CRM team',
      params: { type: 'object', required: ['userId'], properties: { userId: { type: ['integer', 'string'] } } },
    },
    {
      alias: 'payments/succeeded',
      purpose: 'A payment went through',
      owner: 'Payments team',
      critical: true,
      params: { type: 'object', required: ['userId', 'amount'], properties: { userId: {}, amount: { type: 'number' } } },
    },
  ],
};
