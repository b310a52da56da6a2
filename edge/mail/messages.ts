/** The words of every account email, in one place: plain text, absolute links, never a password. */
import type { OutgoingMessage } from '../../db/queries/outbox'

const SIGNATURE = '\n\n-- \nEdgeline'

export function passwordResetMessage(link: string): OutgoingMessage {
  return {
    kind: 'password-reset',
    subject: 'Reset your Edgeline password',
    body:
      'Someone (we hope you) asked to reset the password of the Edgeline account with this address.\n\n' +
      `Choose a new password here within 30 minutes:\n${link}\n\n` +
      'The link works once. If you did not ask, ignore this message: your password stays as it is.' +
      SIGNATURE,
  }
}

export function invitationMessage(link: string): OutgoingMessage {
  return {
    kind: 'invitation',
    subject: 'You are invited to Edgeline',
    body:
      'An administrator created an Edgeline account for this address.\n\n' +
      `Choose your password here within 7 days, then log in:\n${link}\n\n` +
      'The link works once. If you did not expect this, ignore this message.' +
      SIGNATURE,
  }
}

export function emailChangeMessage(link: string): OutgoingMessage {
  return {
    kind: 'email-change',
    subject: 'Confirm your new Edgeline email address',
    body:
      'Someone (we hope you) asked to move an Edgeline account to this address.\n\n' +
      `Confirm it here within 24 hours:\n${link}\n\n` +
      'Until then the account keeps its old address. If you did not ask, ignore this message.' +
      SIGNATURE,
  }
}

export function emailChangedMessage(newEmail: string): OutgoingMessage {
  return {
    kind: 'email-changed',
    subject: 'Your Edgeline email address was changed',
    body:
      `The Edgeline account that had this address now uses ${newEmail}; messages about it go there.\n\n` +
      'If you did not make this change, tell an administrator at once: they can change it back.' +
      SIGNATURE,
  }
}
