/** The one port `npm run dev` prints and hands to Next, from its flags or PORT. */
import { describe, expect, it } from 'vitest'
import { chooseDevPort } from '../../scripts/lib/dev-port'

describe('the port of npm run dev', () => {
  it('is 3000 with no flag and no PORT, and passes the other arguments on untouched', () => {
    expect(chooseDevPort(['--hostname', '0.0.0.0'], {})).toEqual({
      port: 3000,
      nextArgs: ['--hostname', '0.0.0.0'],
    })
  })

  it('is PORT when no flag names one, an empty PORT counting as unset', () => {
    expect(chooseDevPort([], { PORT: '4300' }).port).toBe(4300)
    expect(chooseDevPort([], { PORT: '' }).port).toBe(3000)
  })

  it.each([[['--port', '4210']], [['--port=4210']], [['-p', '4210']], [['-p4210']]])(
    'is the flag %j, over PORT, and Next gets no port flag of its own',
    (flags) => {
      expect(chooseDevPort([...flags, '--turbopack'], { PORT: '4300' })).toEqual({
        port: 4210,
        nextArgs: ['--turbopack'],
      })
    },
  )

  it('is the last of several flags, as Next itself would choose', () => {
    expect(chooseDevPort(['-p', '4100', '--port', '4210'], {}).port).toBe(4210)
  })

  it.each([
    [['--port', 'abc'], {}, /--port: "abc"/],
    [['--port'], {}, /--port: ""/],
    [['-p', '70000'], {}, /-p: "70000"/],
    [[], { PORT: '0' }, /PORT: "0"/],
  ])('refuses %j %j, naming where the bad port came from', (argv, env, message) => {
    expect(() => chooseDevPort(argv, env as Record<string, string>)).toThrow(message)
  })
})
