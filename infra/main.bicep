// csp-guard on Azure operated by 21Vianet (Azure China): `azd up` with `azd config set cloud.name AzureChinaCloud`.
// See docs/operations.md. Every app setting lib/settings.py reads is set in app/api.bicep or app/keyvault.bicep;
// tests/unit/infra/test_bicep_structure.py keeps the two in step.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; it seeds the resource token that makes every resource name unique.')
param environmentName string

@minLength(1)
@description('Azure China region. Flex Consumption is not offered in Azure China, so the app runs on an Elastic Premium or a Dedicated plan.')
@allowed([
  'chinanorth3'
  'chinaeast2'
  'chinanorth2'
  'chinaeast3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Hosting plan. Dedicated (P1v3, P2v3, S1) deploys with `azd deploy`; Elastic Premium (EP1-3) runs from a package in blob storage because Azure Files cannot use a managed identity (see docs/operations.md). Consumption and Flex Consumption are not offered.')
@allowed([
  'EP1'
  'EP2'
  'EP3'
  'P1v3'
  'P2v3'
  'S1'
])
param planSku string = 'P1v3'

@description('Most instances an Elastic Premium plan may scale out to (ignored on Dedicated plans).')
@minValue(1)
@maxValue(20)
param maximumElasticWorkerCount int = 3

@description('Storage redundancy. Standard_ZRS only where the region has availability zones (chinanorth3).')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
])
param storageSku string = 'Standard_LRS'

@description('Object id of whoever runs the deployment (azd sets AZURE_PRINCIPAL_ID). Used only on Elastic Premium plans, to upload the app package.')
param deployerPrincipalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
])
param deployerPrincipalType string = 'User'

@minLength(1)
@maxLength(40)
@description('Prefix of every table name (CSPGUARD_TABLE_PREFIX).')
param tablePrefix string = 'cspguard'

@minLength(3)
@maxLength(56)
@description('Queue of service requests to 21Vianet (SERVICE_REQUESTS_QUEUE); its poison queue is this name + "-poison".')
param serviceRequestsQueue string = 'service-requests'

@allowed([
  'record'
  'send'
])
@description('Customer notices: record (render and keep, send none) or send (NOTICES_MODE).')
param noticesMode string = 'record'

@description('Queue of customer notices to send (NOTICES_QUEUE); its poison queue is this name + "-poison".')
param noticesQueue string = 'notices'

@description('Queue of the customers the daily scan found due, acted on by act_on_due_customers (DUE_CUSTOMERS_QUEUE); its poison queue is this name + "-poison".')
param dueCustomersQueue string = 'due-customers'

@description('SMTP server for customer notices (SMTP_HOST, SMTP_PORT, SMTP_SECURITY, SMTP_USERNAME).')
param smtpHost string = ''
param smtpPort int = 587
@allowed([
  'starttls'
  'tls'
])
param smtpSecurity string = 'starttls'
param smtpUsername string = ''

@secure()
param smtpPassword string = ''

@description('Sender of notices, "Name <address>" (NOTICE_FROM), reply-to (NOTICE_REPLY_TO), archive copies (NOTICE_BCC).')
param noticeFrom string = ''
param noticeReplyTo string = ''
param noticeBcc string = ''

@secure()
@description('Comma-separated Apprise URLs for operators\' alerts (OPS_ALERT_URLS): WeCom, DingTalk, Feishu, e-mail, JSON.')
param opsAlertUrls string = ''

@description('Partner Center operated by 21Vianet REST endpoint.')
param partnerCenterBaseUrl string = 'https://partner.partnercenterapi.microsoftonline.cn'

param partnerCenterScope string = 'https://api.partnercenter.microsoft.com/.default'

@description('Tenant id of the partner tenant that holds the Partner Center app registration (a GUID, or empty).')
param partnerCenterTenantId string = ''

@description('Application (client) id of the Partner Center app registration (a GUID, or empty).')
param partnerCenterClientId string = ''

@secure()
@minLength(1)
@description('Client secret of the Partner Center app registration. Stored in Key Vault; the app reads it through a Key Vault reference.')
param partnerCenterClientSecret string

param partnerCenterAgentLocale string = 'zh-CN'

@description('Hosts allowed to serve the certificate that signs Partner Center webhooks (comma-separated); empty keeps the code default.')
param partnerCenterWebhookCertHosts string = ''

@description('Organization the Partner Center webhook certificate must name; empty keeps the code default.')
param partnerCenterWebhookCertOrg string = ''

@description('Hosts allowed to serve the issuer certificates of that certificate (AIA; comma-separated); empty keeps the code default.')
param partnerCenterWebhookIssuerHosts string = ''

@description('Partner Center support topic for fraud and misuse service requests (GET /v1/servicerequests/supporttopics).')
param serviceRequestTopicId string = ''

@description('Collections policy file, relative to the app root.')
param collectionsPolicy string = 'policy/collections.toml'

@description('shadow decides and records but calls nothing; review turns automatic writes into proposals for an operator; enforce suspends and restores in Partner Center.')
@allowed([
  'shadow'
  'enforce'
  'review'
])
param enforcementMode string = 'shadow'

@minValue(0)
@description('Blast-radius cap: suspensions one scan may make before it stops and alerts.')
param maxSuspensionsPerRun int = 25

@description('Kill switch: true stops every automatic suspension.')
param enforcementPaused bool = false

@description('NCRONTAB, UTC.')
param scanSchedule string = '0 0 1 * * *'

@description('NCRONTAB, UTC.')
param fraudPollSchedule string = '0 */15 * * * *'

@description('NCRONTAB, UTC.')
param reconcileSchedule string = '0 30 * * * *'

@description('NCRONTAB, UTC: the full sweep that checks the scan agenda missed nothing.')
param fullSweepSchedule string = '0 0 2 * * 0'

@minValue(1)
@description('Partner Center calls one fraud poll may spend on usage reads.')
param fraudPollCallBudget int = 300

@minValue(1)
@description('Every customer\'s usage is read at least this often (hours).')
param fraudUsageMaxAgeHours int = 24

@secure()
@minLength(1)
@description('Standard Webhooks signing secret(s), comma-separated while rotating.')
param webhookSecretStandard string

@secure()
@description('Stripe webhook signing secret(s); empty leaves the Stripe provider unconfigured.')
param webhookSecretStripe string = ''

@minValue(1)
param webhookToleranceSeconds int = 300

@description('WeChat Pay merchant number; empty leaves the WeChat Pay channel unconfigured (all four WECHATPAY_* or none).')
param wechatpayMchid string = ''

@secure()
@description('WeChat Pay APIv3 key (32 bytes), kept in Key Vault; empty with wechatpayMchid empty.')
param wechatpayApiv3Secret string = ''

@description('WeChat Pay platform public key (PEM) and its id (PUB_KEY_ID_...).')
param wechatpayPlatformPublicKey string = ''
param wechatpayPlatformPublicKeyId string = ''

@description('Alipay app id and Alipay public key (PEM); both empty leave the Alipay channel unconfigured.')
param alipayAppId string = ''
param alipayPublicKey string = ''

@description('Entra app roles allowed on the operator routes when Easy Auth is on (comma-separated).')
param operatorRoles string = 'CspGuard.Operator'

@description('Client id of the Entra app registration that protects the operator routes. Empty leaves Easy Auth off (function keys only).')
param authClientId string = ''

@description('OpenID issuer for Easy Auth; empty means {login endpoint of this cloud}/{tenant}/v2.0.')
param authIssuer string = ''

@minLength(3)
@description('Email address that receives the alerts.')
param alertEmail string

@minValue(1)
@description('5xx responses in 5 minutes that raise the 5xx alert.')
param http5xxThreshold int = 5

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
  application: 'csp-guard'
}
var functionAppName = '${abbrs.webSitesFunctions}cspguard-${resourceToken}'
var isElasticPremium = startsWith(planSku, 'EP')
var packageContainerName = 'app-package'

resource rg 'Microsoft.Resources/resourceGroups@2021-04-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}cspguard-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}csp${resourceToken}'
    location: location
    tags: tags
    skuName: storageSku
    tablePrefix: tablePrefix
    serviceRequestsQueue: serviceRequestsQueue
    noticesQueue: noticesQueue
    dueCustomersQueue: dueCustomersQueue
    packageContainerName: isElasticPremium ? packageContainerName : ''
  }
}

module keyVault 'app/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}csp-${resourceToken}'
    location: location
    tags: tags
    partnerCenterClientSecret: partnerCenterClientSecret
    webhookSecretStandard: webhookSecretStandard
    webhookSecretStripe: webhookSecretStripe
    stripeConfigured: !empty(webhookSecretStripe)
    wechatpayApiv3Secret: wechatpayApiv3Secret
    wechatpayConfigured: !empty(wechatpayApiv3Secret)
    smtpPassword: smtpPassword
    opsAlertUrls: opsAlertUrls
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    workspaceName: '${abbrs.operationalInsightsWorkspaces}cspguard-${resourceToken}'
    appInsightsName: '${abbrs.insightsComponents}cspguard-${resourceToken}'
    location: location
    tags: tags
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    keyVaultName: keyVault.outputs.name
    identityPrincipalId: identity.outputs.principalId
    deployerPrincipalId: isElasticPremium ? deployerPrincipalId : ''
    deployerPrincipalType: deployerPrincipalType
  }
}

module api 'app/api.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}cspguard-${resourceToken}'
    planSku: planSku
    maximumElasticWorkerCount: maximumElasticWorkerCount
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    packageContainerName: packageContainerName
    appInsightsName: monitoring.outputs.appInsightsName
    keyVaultReferences: keyVault.outputs.appSettingReferences
    authClientId: authClientId
    authIssuer: authIssuer
    appSettings: {
      CSPGUARD_TABLE_PREFIX: tablePrefix
      SERVICE_REQUESTS_QUEUE: serviceRequestsQueue
      PARTNER_CENTER_BASE_URL: partnerCenterBaseUrl
      PARTNER_CENTER_SCOPE: partnerCenterScope
      PARTNER_CENTER_TENANT_ID: partnerCenterTenantId
      PARTNER_CENTER_CLIENT_ID: partnerCenterClientId
      PARTNER_CENTER_AGENT_LOCALE: partnerCenterAgentLocale
      PARTNER_CENTER_WEBHOOK_CERT_HOSTS: partnerCenterWebhookCertHosts
      PARTNER_CENTER_WEBHOOK_CERT_ORG: partnerCenterWebhookCertOrg
      PARTNER_CENTER_WEBHOOK_ISSUER_HOSTS: partnerCenterWebhookIssuerHosts
      SERVICE_REQUEST_TOPIC_ID: serviceRequestTopicId
      COLLECTIONS_POLICY: collectionsPolicy
      ENFORCEMENT_MODE: enforcementMode
      MAX_SUSPENSIONS_PER_RUN: string(maxSuspensionsPerRun)
      ENFORCEMENT_PAUSED: enforcementPaused ? 'true' : 'false'
      SCAN_SCHEDULE: scanSchedule
      FRAUD_POLL_SCHEDULE: fraudPollSchedule
      RECONCILE_SCHEDULE: reconcileSchedule
      FULL_SWEEP_SCHEDULE: fullSweepSchedule
      FRAUD_POLL_CALL_BUDGET: string(fraudPollCallBudget)
      FRAUD_USAGE_MAX_AGE_HOURS: string(fraudUsageMaxAgeHours)
      WEBHOOK_TOLERANCE_SECONDS: string(webhookToleranceSeconds)
      OPERATOR_ROLES: operatorRoles
      WECHATPAY_MCHID: wechatpayMchid
      WECHATPAY_PLATFORM_PUBLIC_KEY: wechatpayPlatformPublicKey
      WECHATPAY_PLATFORM_PUBLIC_KEY_ID: wechatpayPlatformPublicKeyId
      ALIPAY_APP_ID: alipayAppId
      ALIPAY_PUBLIC_KEY: alipayPublicKey
      NOTICES_MODE: noticesMode
      NOTICES_QUEUE: noticesQueue
      DUE_CUSTOMERS_QUEUE: dueCustomersQueue
      SMTP_HOST: smtpHost
      SMTP_PORT: string(smtpPort)
      SMTP_SECURITY: smtpSecurity
      SMTP_USERNAME: smtpUsername
      NOTICE_FROM: noticeFrom
      NOTICE_REPLY_TO: noticeReplyTo
      NOTICE_BCC: noticeBcc
    }
  }
  dependsOn: [
    // The identity must hold its storage and Key Vault roles before the host first starts.
    rbac
  ]
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    actionGroupName: '${abbrs.insightsActionGroups}cspguard-${resourceToken}'
    alertEmail: alertEmail
    appInsightsName: monitoring.outputs.appInsightsName
    siteName: api.outputs.name
    poisonQueueName: '${serviceRequestsQueue}-poison'
    dueCustomersPoisonQueueName: '${dueCustomersQueue}-poison'
    http5xxThreshold: http5xxThreshold
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output AZURE_FUNCTION_APP_URL string = api.outputs.url
output AZURE_FUNCTION_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_FUNCTION_PACKAGE_URL string = api.outputs.packageUrl
