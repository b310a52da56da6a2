import { describe, expect, it } from 'vitest'
import { parseTraceParent, randomId } from '../../edge/telemetry/trace-context'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN = '00f067aa0ba902b7'

describe('W3C trace context', () => {
  it('reads a valid traceparent, its sampled flag and the tracestate that came with it', () => {
    expect(parseTraceParent(`00-${TRACE}-${SPAN}-01`, 'a=1,b=2')).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      sampled: true,
      traceState: 'a=1,b=2',
    })
    expect(parseTraceParent(`00-${TRACE}-${SPAN}-00`, null)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      sampled: false,
    })
    // Other flag bits do not make a trace sampled; only bit 0 does.
    expect(parseTraceParent(`00-${TRACE}-${SPAN}-02`, null)?.sampled).toBe(false)
  })

  it('accepts a later version with more fields, as the recommendation asks', () => {
    expect(parseTraceParent(`01-${TRACE}-${SPAN}-01-whatever`, null)?.traceId).toBe(TRACE)
  })

  it('refuses what the recommendation calls invalid: a new trace starts instead', () => {
    for (const header of [
      `ff-${TRACE}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}`,
      'garbage',
      '',
    ]) {
      expect(parseTraceParent(header, null), header).toBeUndefined()
    }
    expect(parseTraceParent(null, 'a=1')).toBeUndefined()
  })

  it('drops a tracestate longer than 512 characters rather than passing it on', () => {
    expect(parseTraceParent(`00-${TRACE}-${SPAN}-01`, `a=${'x'.repeat(600)}`)).not.toHaveProperty(
      'traceState',
    )
  })

  it('makes ids of the right length that differ', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => randomId(8)))
    expect(ids.size).toBe(1000)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/)
    expect(randomId(16)).toMatch(/^[0-9a-f]{32}$/)
  })
})
