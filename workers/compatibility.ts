/** The Workers platform's date for the runtime's behaviour: the Workers deployment and every workerd run share it. */
export const COMPATIBILITY_DATE = '2026-04-01'
