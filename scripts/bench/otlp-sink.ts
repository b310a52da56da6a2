/** A collector stand-in for `npm run bench:api --traced`: accepts every OTLP/HTTP export and counts it, nothing more. */
import { createServer } from 'node:http'

let exports = 0
let bytes = 0
const server = createServer((request, response) => {
  request.on('data', (chunk: Buffer) => {
    bytes += chunk.length
  })
  request.on('end', () => {
    exports += 1
    response.writeHead(200, { 'content-type': 'application/x-protobuf' })
    response.end()
  })
})
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  console.log(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`)
})
process.on('SIGTERM', () => {
  console.log(`received ${exports} exports, ${bytes} bytes`)
  server.close(() => process.exit(0))
})
