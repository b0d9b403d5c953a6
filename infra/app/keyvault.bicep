// Key Vault (RBAC mode) holding the app's secrets. The app reads them through Key Vault references resolved with its
// user-assigned identity (keyVaultReferenceIdentity), so no secret value is ever an app setting or a template output.
param name string
param location string
param tags object = {}

@secure()
param partnerCenterClientSecret string

@secure()
param webhookSecretStandard string

@secure()
param webhookSecretStripe string = ''

@description('False: the Stripe provider is not configured and WEBHOOK_SECRET_STRIPE is not set.')
param stripeConfigured bool = false

@secure()
param wechatpayApiv3Secret string = ''

@description('False: the WeChat Pay channel is not configured and WECHATPAY_APIV3_KEY is not set.')
param wechatpayConfigured bool = false

@secure()
@description('SMTP password for customer notices (SMTP_PASSWORD); empty: no SMTP AUTH password is set.')
param smtpPassword string = ''

@secure()
@description('Apprise URLs for operators\' alerts (OPS_ALERT_URLS); they carry robot keys, so they are secrets.')
param opsAlertUrls string = ''

var partnerCenterEntry = 'partner-center-client-secret'
var standardEntry = 'webhook-secret-standard'
var stripeEntry = 'webhook-secret-stripe'
var wechatpayEntry = 'wechatpay-apiv3-key'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    publicNetworkAccess: 'Enabled'
  }
}

resource partnerCenter 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: partnerCenterEntry
  properties: {
    value: partnerCenterClientSecret
    contentType: 'Partner Center app registration client secret'
  }
}

resource standard 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: standardEntry
  properties: {
    value: webhookSecretStandard
    contentType: 'Standard Webhooks secret(s), comma-separated while rotating'
  }
}

resource stripe 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (stripeConfigured) {
  parent: vault
  name: stripeEntry
  properties: {
    value: webhookSecretStripe
    contentType: 'Stripe webhook signing secret(s), comma-separated while rotating'
  }
}

resource wechatpay 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (wechatpayConfigured) {
  parent: vault
  name: wechatpayEntry
  properties: {
    value: wechatpayApiv3Secret
    contentType: 'WeChat Pay APIv3 key (decrypts notification resources)'
  }
}

resource smtp 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(smtpPassword)) {
  parent: vault
  name: 'smtp-password'
  properties: {
    value: smtpPassword
    contentType: 'SMTP password for customer notices'
  }
}

resource opsAlerts 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (!empty(opsAlertUrls)) {
  parent: vault
  name: 'ops-alert-urls'
  properties: {
    value: opsAlertUrls
    contentType: 'Apprise URLs for operators\' alerts, comma-separated'
  }
}

// Versionless references: the platform picks up a new secret version within a day, or at once on restart.
var baseReferences = {
  PARTNER_CENTER_CLIENT_SECRET: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${partnerCenter.name})'
  WEBHOOK_SECRET_STANDARD: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${standard.name})'
}
var stripeReference = {
  WEBHOOK_SECRET_STRIPE: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${stripeEntry})'
}

var wechatpayReference = {
  WECHATPAY_APIV3_KEY: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/${wechatpayEntry})'
}
var smtpReference = {
  SMTP_PASSWORD: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/smtp-password)'
}
var opsAlertsReference = {
  OPS_ALERT_URLS: '@Microsoft.KeyVault(SecretUri=${vault.properties.vaultUri}secrets/ops-alert-urls)'
}

output name string = vault.name
output id string = vault.id
@description('App settings whose values are Key Vault references (no secret values).')
output appSettingReferences object = union(baseReferences, stripeConfigured ? stripeReference : {},
  wechatpayConfigured ? wechatpayReference : {}, empty(smtpPassword) ? {} : smtpReference,
  empty(opsAlertUrls) ? {} : opsAlertsReference)
