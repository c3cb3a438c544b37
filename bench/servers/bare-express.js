// The baseline: a bare express server answering a JSON POST, as small as a server gets.
const express = require('express');

const app = express();
app.use(express.json());
app.post('/hello', (_req, res) => res.json({ success: true }));
const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/hello` })}\n`);
});
