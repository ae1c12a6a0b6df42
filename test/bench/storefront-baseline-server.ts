// The practical ceiling of this machine for the storefront's hot reads: raw node:http answering, from
// memory, the exact bytes the service answered for the campaign page and its progress. No framework,
// no rendering, no cache lookups, no database.
import { createServer } from 'node:http';

const answers = new Map(
  Object.entries(JSON.parse(process.env.BASELINE_ANSWERS!) as Record<string, { type: string; body: string }>).map(([path, a]) => [
    path,
    { type: a.type, body: Buffer.from(a.body, 'base64') },
  ]),
);

const server = createServer((req, res) => {
  const answer = answers.get((req.url ?? '/').split('?')[0]);
  if (!answer) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': answer.type, 'content-length': answer.body.length, 'cache-control': 'no-cache' });
  res.end(answer.body);
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
