import { describe, expect, it } from 'vitest'
import { formatPosition, laterPosition, readPosition } from '../../db/replicas'
import { CONSISTENCY_COOKIE, CONSISTENCY_HEADER, positionOfRequest } from '../../edge/consistency'
import { asNewAdmin, createTestApp, jsonInit, uniqueEmail } from './support'

describe('a consistency position on the wire', () => {
  it('reads `<xid>.<ms>` and writes it back unchanged', () => {
    expect(readPosition('48213.1765040123456')).toEqual({ xid: '48213', writtenAt: 1765040123456 })
    expect(formatPosition({ xid: '48213', writtenAt: 1765040123456 })).toBe('48213.1765040123456')
    expect(readPosition(`${2n ** 64n - 1n}.1`)).toEqual({ xid: String(2n ** 64n - 1n), writtenAt: 1 })
  })

  it('ignores anything else, so only a 64-bit number ever reaches SQL', () => {
    for (const value of [
      '',
      '48213',
      '0.1',
      '-1.1',
      '1.-1',
      "1.1'; select 1",
      '1 .1',
      `${2n ** 64n}.1`,
      '123456789012345678901.1',
      null,
      undefined,
    ]) {
      expect(readPosition(value)).toBeUndefined()
    }
  })

  it('keeps the later transaction of two, whatever their times', () => {
    const older = { xid: '9', writtenAt: 2000 }
    const newer = { xid: '10', writtenAt: 1000 }
    expect(laterPosition(older, newer)).toBe(newer)
    expect(laterPosition(newer, older)).toBe(newer)
    expect(laterPosition(undefined, older)).toBe(older)
    expect(laterPosition(older, undefined)).toBe(older)
  })

  it('is taken from the header or the cookie, the later of the two when both are sent', () => {
    const cookie = `a=b; ${CONSISTENCY_COOKIE}=7.5; c=d`
    expect(positionOfRequest(new Headers({ cookie }))).toEqual({ xid: '7', writtenAt: 5 })
    expect(positionOfRequest(new Headers({ [CONSISTENCY_HEADER]: '8.1' }))).toEqual({
      xid: '8',
      writtenAt: 1,
    })
    expect(positionOfRequest(new Headers({ cookie, [CONSISTENCY_HEADER]: '6.9' }))).toEqual({
      xid: '7',
      writtenAt: 5,
    })
    expect(positionOfRequest(new Headers({ cookie: `x${CONSISTENCY_COOKIE}=7.5` }))).toBeUndefined()
  })

  it('takes the latest of several cookies of that name, so a planted one can never take a caller back', () => {
    const planted = `${CONSISTENCY_COOKIE}=3.1; ${CONSISTENCY_COOKIE}=12.4; ${CONSISTENCY_COOKIE}=junk`
    expect(positionOfRequest(new Headers({ cookie: planted }))).toEqual({ xid: '12', writtenAt: 4 })
  })
})

describe('without replicas', () => {
  it('answers writes with no position: every read sees every write anyway', async () => {
    const { app } = createTestApp()
    const admin = asNewAdmin(app)
    const created = await admin.request(
      '/api/users',
      jsonInit('POST', { name: 'Plain', email: uniqueEmail() }),
    )
    expect(created.status).toBe(201)
    expect(created.headers.get(CONSISTENCY_HEADER)).toBeNull()
    expect(created.headers.getSetCookie()).toEqual([])
  })
})
