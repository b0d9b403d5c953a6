// The app's storage account: the Functions host's own blobs and queues, csp-guard's tables and its queue.
// Shared-key access is off, so nothing can hold an account key; every caller uses Entra ID (the app's identity).
param name string
param location string
param tags object = {}
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
])
param skuName string = 'Standard_LRS'
param tablePrefix string
param serviceRequestsQueue string
param noticesQueue string = 'notices'
param dueCustomersQueue string = 'due-customers'
@description('Blob container for the run-from-package zip (Elastic Premium only); empty creates none.')
param packageContainerName string = ''

// DESIGN.md, Data: one table per name, each prefixed (lib/store/tables.py TABLES).
var tableNames = [
  'ledger'
  'accounts'
  'subscriptions'
  'actions'
  'cases'
  'unmatched'
  'runs'
  'payers'
  'transfers'
  'notices'
  'contacts'
  'companies'
  'agenda'
  'proposals'
]
var queueNames = [
  serviceRequestsQueue
  '${serviceRequestsQueue}-poison'
  noticesQueue
  '${noticesQueue}-poison'
  dueCustomersQueue
  '${dueCustomersQueue}-poison'
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = [
  for table in tableNames: {
    parent: tableService
    name: '${tablePrefix}${table}'
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queue in queueNames: {
    parent: queueService
    name: queue
  }
]

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource packageContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = if (!empty(packageContainerName)) {
  parent: blobService
  name: packageContainerName
  properties: {
    publicAccess: 'None'
  }
}

output name string = storage.name
output id string = storage.id
