// The Function App (Linux, Python 3.11, Functions v4) on an Elastic Premium or Dedicated plan, its app settings and
// its Easy Auth. Endpoints come from environment(), so in Azure China they are *.core.chinacloudapi.cn and
// login.chinacloudapi.cn without a literal host name here.
param name string
param planName string

@allowed([
  'EP1'
  'EP2'
  'EP3'
  'P1v3'
  'P2v3'
  'S1'
])
param planSku string

param maximumElasticWorkerCount int = 3
param location string
param tags object = {}
param identityId string
param identityClientId string
param storageAccountName string
param packageContainerName string
param appInsightsName string

@description('App settings whose values are Key Vault references, from keyvault.bicep.')
param keyVaultReferences object

@description('csp-guard\'s own settings (names as lib/settings.py reads them).')
param appSettings object

@description('Entra app registration that protects the operator routes; empty leaves Easy Auth off.')
param authClientId string = ''

@description('OpenID issuer; empty means {login endpoint}/{tenant}/v2.0 of this cloud.')
param authIssuer string = ''

var isElasticPremium = startsWith(planSku, 'EP')
var planTiers = {
  EP1: 'ElasticPremium'
  EP2: 'ElasticPremium'
  EP3: 'ElasticPremium'
  P1v3: 'PremiumV3'
  P2v3: 'PremiumV3'
  S1: 'Standard'
}
var storageSuffix = environment().suffixes.storage
var loginEndpoint = environment().authentication.loginEndpoint
var authorityHost = endsWith(loginEndpoint, '/') ? substring(loginEndpoint, 0, length(loginEndpoint) - 1) : loginEndpoint
var blobEndpoint = 'https://${storageAccountName}.blob.${storageSuffix}'
var packageUrl = '${blobEndpoint}/${packageContainerName}/csp-guard.zip'
var serviceTags = union(tags, {
  'azd-service-name': 'api'
})

// The host and csp-guard reach storage with the user-assigned identity. The service URIs are explicit because the
// host would otherwise build public-cloud URIs from the account name alone.
var platformSettings = {
  FUNCTIONS_EXTENSION_VERSION: '~4'
  FUNCTIONS_WORKER_RUNTIME: 'python'
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureWebJobsStorage__blobServiceUri: blobEndpoint
  AzureWebJobsStorage__queueServiceUri: 'https://${storageAccountName}.queue.${storageSuffix}'
  AzureWebJobsStorage__tableServiceUri: 'https://${storageAccountName}.table.${storageSuffix}'
  AZURE_STORAGE_ENDPOINT_SUFFIX: storageSuffix
  AZURE_CLIENT_ID: identityClientId
  AZURE_AUTHORITY_HOST: authorityHost
  PARTNER_CENTER_AUTHORITY: authorityHost
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
}

// Elastic Premium would keep its code on an Azure Files share, which needs an account key; with shared-key access
// off, it runs from a zip in blob storage read with the identity instead. Dedicated plans take azd's zip deploy and
// build the dependencies remotely.
var elasticPremiumSettings = {
  WEBSITE_RUN_FROM_PACKAGE: packageUrl
  WEBSITE_RUN_FROM_PACKAGE_BLOB_MI_RESOURCE_ID: identityId
}
var dedicatedSettings = {
  SCM_DO_BUILD_DURING_DEPLOYMENT: 'true'
  ENABLE_ORYX_BUILD: 'true'
}
var deploymentSettings = isElasticPremium ? elasticPremiumSettings : dedicatedSettings

var allSettings = union(appSettings, keyVaultReferences, deploymentSettings, platformSettings)

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: planName
  location: location
  tags: tags
  kind: isElasticPremium ? 'elastic' : 'linux'
  sku: {
    name: planSku
    tier: planTiers[planSku]
  }
  properties: {
    reserved: true
    maximumElasticWorkerCount: isElasticPremium ? maximumElasticWorkerCount : null
  }
}

resource site 'Microsoft.Web/sites@2023-12-01' = {
  name: name
  location: location
  tags: serviceTags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      linuxFxVersion: 'Python|3.11'
      alwaysOn: !isElasticPremium // timers on a Dedicated plan need Always On
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      appSettings: [
        for setting in items(allSettings): {
          name: setting.key
          value: setting.value
        }
      ]
    }
  }
}

resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2023-12-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false // azd deploys with an Entra token
  }
}

// Easy Auth for the operator routes. Webhooks authenticate by signature, health and the OpenAPI document are public.
resource auth 'Microsoft.Web/sites/config@2023-12-01' = if (!empty(authClientId)) {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: [
        '/api/health'
        '/api/openapi.json'
        '/api/webhooks/*'
      ]
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: authClientId
          openIdIssuer: !empty(authIssuer) ? authIssuer : '${authorityHost}/${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${authClientId}'
            authClientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
    httpSettings: {
      requireHttps: true
    }
  }
}

output name string = site.name
output url string = 'https://${site.properties.defaultHostName}'
output packageUrl string = isElasticPremium ? packageUrl : ''
