// Alerts an operator must see, all sent to one action group (email):
// - a timer run failed (a failed invocation or an exception in a timer function),
// - a scan stopped at the blast-radius cap (lib/services/delinquency_scan.py logs "blast-radius cap reached"),
// - a service request landed in the poison queue (the Functions host logs the move naming the poison queue;
//   lib/services/queue_delivery.py logs "service request message poisoned" when it poisons one itself),
// - customers the daily scan found due landed in the due-customers poison queue (the host logs the move;
//   lib/services/queue_delivery.py logs "due-customers message poisoned"): the next scan sends them again,
//   but someone should find out why they failed,
// - the HTTP 5xx rate.
param location string
param tags object = {}
param actionGroupName string
param alertEmail string
param appInsightsName string
param siteName string
param poisonQueueName string
@description('The due-customers poison queue (DUE_CUSTOMERS_QUEUE + "-poison").')
param dueCustomersPoisonQueueName string = 'due-customers-poison'
param http5xxThreshold int = 5

@description('Timer-triggered functions whose failures raise the timer alert.')
param timerFunctions array = [
  'delinquency_scan'
  'fraud_events_poll'
  'reconcile'
]

var abbrs = loadJsonContent('../abbreviations.json')
var timerList = join(map(timerFunctions, fn => '"${fn}"'), ', ')
var logAlerts = [
  {
    key: 'timer-failed'
    displayName: 'csp-guard: a timer run failed'
    description: 'A delinquency scan, fraud poll or reconcile invocation failed. Check the runs table (GET /api/status, with a function key) and the exception in Application Insights.'
    severity: 1
    query: 'union (requests | where success == false), exceptions | where operation_Name in (${timerList})'
  }
  {
    key: 'blast-radius'
    displayName: 'csp-guard: scan stopped at the blast-radius cap'
    description: 'A scan reached MAX_SUSPENSIONS_PER_RUN and stopped suspending. Review the run before raising the cap or resuming.'
    severity: 1
    query: 'traces | where severityLevel >= 2 and message contains "blast-radius cap reached"'
  }
  {
    key: 'poison'
    displayName: 'csp-guard: service request moved to the poison queue'
    description: 'A service request to 21Vianet failed every retry and is in ${poisonQueueName}. See docs/operations.md.'
    severity: 2
    query: 'traces | where severityLevel >= 2 and (message contains "${poisonQueueName}" or message contains "service request message poisoned")'
  }
  {
    key: 'scan-poison'
    displayName: 'csp-guard: customers due for collections moved to the poison queue'
    description: 'act_on_due_customers could not act on a message of the daily scan in five deliveries (or it was malformed); it is in ${dueCustomersPoisonQueueName}. The next scan sends those customers again. See docs/operations.md.'
    severity: 2
    query: 'traces | where severityLevel >= 2 and (message contains "${dueCustomersPoisonQueueName}" or message contains "due-customers message poisoned")'
  }
]

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource site 'Microsoft.Web/sites@2023-12-01' existing = {
  name: siteName
}

resource actionGroup 'Microsoft.Insights/actionGroups@2022-06-01' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    groupShortName: 'cspguard'
    enabled: true
    emailReceivers: [
      {
        name: 'operators'
        emailAddress: alertEmail
        useCommonAlertSchema: true
      }
    ]
  }
}

resource logAlertRules 'Microsoft.Insights/scheduledQueryRules@2021-08-01' = [
  for rule in logAlerts: {
    name: '${abbrs.insightsScheduledQueryRules}${siteName}-${rule.key}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      scopes: [
        appInsights.id
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      autoMitigate: true
      actions: {
        actionGroups: [
          actionGroup.id
        ]
      }
    }
  }
]

resource http5xxAlert 'Microsoft.Insights/metricAlerts@2018-03-01' = {
  name: '${abbrs.insightsMetricAlerts}${siteName}-http5xx'
  location: 'global'
  tags: tags
  properties: {
    description: 'More than ${http5xxThreshold} HTTP 5xx responses in 5 minutes.'
    severity: 2
    enabled: true
    scopes: [
      site.id
    ]
    evaluationFrequency: 'PT1M'
    windowSize: 'PT5M'
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: 'Http5xx'
          metricName: 'Http5xx'
          metricNamespace: 'Microsoft.Web/sites'
          operator: 'GreaterThan'
          threshold: http5xxThreshold
          timeAggregation: 'Total'
        }
      ]
    }
    autoMitigate: true
    actions: [
      {
        actionGroupId: actionGroup.id
      }
    ]
  }
}
