/**
 * What Domus keeps of a SAML login for the Single Logout that may follow (docs/entitlement-api.md,
 * "SAML MVPDs"): the assertion's NameID (with its qualifiers) and the AuthnStatement's
 * SessionIndex. Stored sealed with the profile (its upstream data) and, during a logout, in the
 * pending-logout record.
 */
export interface SamlSession {
  nameId: string;
  nameIdFormat?: string;
  nameQualifier?: string;
  spNameQualifier?: string;
  sessionIndex?: string;
}
