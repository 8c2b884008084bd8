export type AttributeValue = string | number | boolean | null
export type Attributes = Readonly<Record<string, AttributeValue>>
/** What an identity token signed: any JSON values (the token bounds them to 8 KiB). */
export type SignedAttributes = Readonly<Record<string, unknown>>

export const MAX_NAME_CHARACTERS = 100
export const MAX_ATTRIBUTES = 50
export const MAX_ATTRIBUTE_KEY_CHARACTERS = 64
export const MAX_ATTRIBUTES_BYTES = 8 * 1024

/** What the messenger itself set for a verified user. */
export interface StoredProfile {
  readonly name: string | null
  readonly attributes: Attributes
}

/** PATCH /v1/messenger/me, validated: a merge patch where null removes an attribute (RFC 7386). */
export interface ProfilePatch {
  readonly name?: string | null | undefined
  readonly attributes?: Attributes | undefined
}

export type PatchOutcome =
  | { readonly kind: 'updated'; readonly profile: StoredProfile }
  | { readonly kind: 'signed_attribute'; readonly attribute: string }
  | { readonly kind: 'too_large'; readonly message: string }

/**
 * Applies a messenger's profile patch. The customer's server has the last word on what it signed:
 * changing or removing a signed attribute (a signed `name` included) is refused, while repeating its
 * signed value is harmless and accepted. Bounds apply to the result, so many small patches cannot
 * grow a profile past them.
 */
export function applyProfilePatch(current: StoredProfile, signed: SignedAttributes, patch: ProfilePatch): PatchOutcome {
  let name = current.name
  if (patch.name !== undefined) {
    if (Object.hasOwn(signed, 'name') && signed.name !== patch.name) return { kind: 'signed_attribute', attribute: 'name' }
    name = patch.name
  }

  // A Map, not an object literal: attribute names are the user's, and "__proto__" must stay a name.
  const next = new Map(Object.entries(current.attributes))
  for (const [key, value] of Object.entries(patch.attributes ?? {})) {
    if (Object.hasOwn(signed, key)) {
      if (value === null || signed[key] !== value) return { kind: 'signed_attribute', attribute: key }
      continue
    }
    if (value === null) next.delete(key)
    else next.set(key, value)
  }
  if (next.size > MAX_ATTRIBUTES) {
    return { kind: 'too_large', message: `A user has at most ${MAX_ATTRIBUTES} attributes; remove some (set them to null) first.` }
  }
  const attributes = Object.fromEntries(next) as Attributes
  if (Buffer.byteLength(JSON.stringify(attributes), 'utf8') > MAX_ATTRIBUTES_BYTES) {
    return { kind: 'too_large', message: `A user's attributes take at most ${MAX_ATTRIBUTES_BYTES / 1024} KiB as JSON.` }
  }
  return { kind: 'updated', profile: { name, attributes } }
}

export interface ProfileView {
  name: string | null
  /** Everything known about the user; signed values win over the messenger's. */
  attributes: Record<string, unknown>
  /** The attributes an identity token signed: the customer's server vouches for these. */
  verified_attributes: Record<string, unknown>
}

export function profileView(profile: StoredProfile, signed: SignedAttributes): ProfileView {
  const signedName = typeof signed.name === 'string' ? signed.name : null
  return {
    name: signedName ?? profile.name,
    attributes: Object.fromEntries([...Object.entries(profile.attributes), ...Object.entries(signed)]),
    verified_attributes: Object.fromEntries(Object.entries(signed)),
  }
}
