// The operations the tests send, typed by GraphQL Code Generator (`npm run codegen`).
import { graphql } from '../gql/index.js';

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      role
      subject
      project {
        id
        name
      }
    }
  }
`);

export const CreateExperiment = graphql(`
  mutation CreateExperiment($input: CreateExperimentInput!) {
    createExperiment(input: $input) {
      id
      name
      description
      hypothesis
      tags
      archived
      createdAt
      updatedAt
    }
  }
`);

export const UpdateExperiment = graphql(`
  mutation UpdateExperiment($id: ID!, $input: UpdateExperimentInput!) {
    updateExperiment(id: $id, input: $input) {
      id
      name
      description
      tags
      updatedAt
    }
  }
`);

export const ArchiveExperiment = graphql(`
  mutation ArchiveExperiment($id: ID!) {
    archiveExperiment(id: $id) {
      id
      archived
    }
  }
`);

export const ListExperiments = graphql(`
  query ListExperiments($first: Int, $after: String, $search: String, $tags: [String!], $includeArchived: Boolean) {
    experiments(first: $first, after: $after, search: $search, tags: $tags, includeArchived: $includeArchived) {
      totalCount
      edges {
        cursor
        node {
          id
          name
        }
      }
      nodes {
        id
        name
        tags
        archived
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`);

export const ExperimentsWithRuns = graphql(`
  query ExperimentsWithRuns($first: Int) {
    experiments(first: $first) {
      totalCount
      nodes {
        id
        name
        runCount
        latestRun {
          id
          status
          experiment {
            id
          }
          models {
            id
            name
          }
          promptVersions {
            id
            version
            prompt {
              id
              name
            }
          }
        }
        runs(first: 2) {
          totalCount
          nodes {
            id
            status
          }
          pageInfo {
            hasNextPage
          }
        }
      }
    }
  }
`);

export const GetExperiment = graphql(`
  query GetExperiment($id: ID!) {
    experiment(id: $id) {
      id
      name
    }
  }
`);

export const NodeQuery = graphql(`
  query Node($id: ID!) {
    node(id: $id) {
      __typename
      id
      ... on Experiment {
        name
      }
      ... on Prompt {
        name
      }
      ... on PromptVersion {
        version
      }
      ... on Model {
        name
      }
      ... on Run {
        status
      }
      ... on ApiKey {
        name
      }
      ... on Project {
        name
      }
    }
  }
`);

export const CreateModel = graphql(`
  mutation CreateModel($input: CreateModelInput!) {
    createModel(input: $input) {
      id
      name
      provider
      modelName
      baseUrl
      hasApiKey
      parameters
      inputCostPerMTok
      outputCostPerMTok
      maxConcurrency
      requestsPerMinute
      createdAt
    }
  }
`);

export const ListModels = graphql(`
  query ListModels($first: Int, $after: String) {
    models(first: $first, after: $after) {
      totalCount
      nodes {
        id
        name
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const CreatePrompt = graphql(`
  mutation CreatePrompt($input: CreatePromptInput!) {
    createPrompt(input: $input) {
      id
      name
      description
      latestVersion {
        id
        version
        system
        template
        variables
      }
    }
  }
`);

export const CreatePromptVersion = graphql(`
  mutation CreatePromptVersion($input: CreatePromptVersionInput!) {
    createPromptVersion(input: $input) {
      id
      version
      template
      variables
      prompt {
        id
        name
      }
    }
  }
`);

export const GetPrompt = graphql(`
  query GetPrompt($id: ID!, $first: Int, $after: String) {
    prompt(id: $id) {
      id
      name
      latestVersion {
        version
        template
      }
      versions(first: $first, after: $after) {
        totalCount
        nodes {
          id
          version
          template
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export const ListPrompts = graphql(`
  query ListPrompts($first: Int) {
    prompts(first: $first) {
      totalCount
      nodes {
        id
        name
        latestVersion {
          version
        }
        versions(first: 1) {
          totalCount
        }
      }
    }
  }
`);

export const CreateApiKey = graphql(`
  mutation CreateApiKey($name: String!, $role: Role!) {
    createApiKey(name: $name, role: $role) {
      secret
      apiKey {
        id
        name
        role
        prefix
        createdAt
        lastUsedAt
        revokedAt
      }
    }
  }
`);

export const RevokeApiKey = graphql(`
  mutation RevokeApiKey($id: ID!) {
    revokeApiKey(id: $id) {
      id
      revokedAt
    }
  }
`);

export const ListApiKeys = graphql(`
  query ListApiKeys {
    apiKeys {
      id
      name
      role
      prefix
      revokedAt
    }
  }
`);

export const ExperimentUpdated = graphql(`
  subscription ExperimentUpdated($id: ID!) {
    experimentUpdated(id: $id) {
      id
      name
      archived
    }
  }
`);

export const CreateDataset = graphql(`
  mutation CreateDataset($input: CreateDatasetInput!) {
    createDataset(input: $input) {
      id
      name
      description
      latestVersion {
        id
      }
    }
  }
`);

export const CreateDatasetUpload = graphql(`
  mutation CreateDatasetUpload($input: CreateDatasetUploadInput!) {
    createDatasetUpload(input: $input) {
      datasetVersion {
        id
        version
        status
        format
        sizeBytes
      }
      url
      headers
      parts {
        partNumber
        url
      }
      partSizeBytes
      expiresAt
    }
  }
`);

export const CompleteDatasetUpload = graphql(`
  mutation CompleteDatasetUpload($datasetVersionId: ID!, $parts: [CompletedPartInput!]) {
    completeDatasetUpload(datasetVersionId: $datasetVersionId, parts: $parts) {
      id
      status
    }
  }
`);

export const GetDatasetVersion = graphql(`
  query GetDatasetVersion($id: ID!, $previewLimit: Int) {
    node(id: $id) {
      ... on DatasetVersion {
        id
        version
        status
        format
        sizeBytes
        sha256
        rowCount
        columns
        errors {
          line
          message
        }
        preview(limit: $previewLimit) {
          index
          input
          expected
          metadata
        }
        downloadUrl
        dataset {
          id
          name
        }
      }
    }
  }
`);

export const GetDataset = graphql(`
  query GetDataset($id: ID!) {
    dataset(id: $id) {
      id
      name
      latestVersion {
        id
        version
        rowCount
      }
      versions(first: 10) {
        totalCount
        nodes {
          id
          version
          status
        }
      }
    }
  }
`);

export const ListDatasets = graphql(`
  query ListDatasets($first: Int, $after: String) {
    datasets(first: $first, after: $after) {
      totalCount
      nodes {
        id
        name
        latestVersion {
          version
          rowCount
        }
        versions(first: 3) {
          totalCount
          nodes {
            version
            status
          }
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const CreateArtifactUpload = graphql(`
  mutation CreateArtifactUpload($input: CreateArtifactUploadInput!) {
    createArtifactUpload(input: $input) {
      artifact {
        id
        name
        contentType
        sizeBytes
      }
      url
      headers
      expiresAt
    }
  }
`);

export const CompleteArtifactUpload = graphql(`
  mutation CompleteArtifactUpload($artifactId: ID!) {
    completeArtifactUpload(artifactId: $artifactId) {
      id
      name
      sizeBytes
      downloadUrl(expiresInSeconds: 60)
      run {
        id
      }
    }
  }
`);

export const RunArtifacts = graphql(`
  query RunArtifacts($id: ID!) {
    run(id: $id) {
      id
      artifacts {
        id
        name
        contentType
        sizeBytes
        downloadUrl
      }
    }
  }
`);

export const StartRun = graphql(`
  mutation StartRun($input: StartRunInput!) {
    startRun(input: $input) {
      id
      status
      repetitions
      progress {
        total
        queued
      }
    }
  }
`);

export const CancelRun = graphql(`
  mutation CancelRun($id: ID!) {
    cancelRun(id: $id) {
      id
      status
    }
  }
`);

export const RetryRun = graphql(`
  mutation RetryRun($id: ID!) {
    retryRun(id: $id) {
      id
      status
      progress {
        total
      }
    }
  }
`);

export const GetRun = graphql(`
  query GetRun($id: ID!, $first: Int, $after: String, $status: [TaskStatus!]) {
    run(id: $id) {
      id
      status
      error
      startedAt
      finishedAt
      progress {
        total
        queued
        running
        succeeded
        failed
        cancelled
        fraction
        etaSeconds
      }
      usage {
        promptTokens
        completionTokens
        costUsd
      }
      datasetVersion {
        id
      }
      models {
        id
        name
      }
      artifacts {
        name
        sizeBytes
        sha256
        downloadUrl
      }
      tasks(first: $first, after: $after, status: $status) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          rowIndex
          repetition
          status
          attempts
          input
          expected
          renderedPrompt
          output
          error
          latencyMs
          usage {
            promptTokens
            completionTokens
            costUsd
          }
          model {
            id
          }
          promptVersion {
            id
          }
          startedAt
          finishedAt
        }
      }
    }
  }
`);

export const DemoRunInputs = graphql(`
  query DemoRunInputs {
    experiments(first: 1) {
      nodes {
        id
      }
    }
    datasets(first: 1) {
      nodes {
        latestVersion {
          id
          rowCount
        }
      }
    }
    prompts(first: 1) {
      nodes {
        latestVersion {
          id
        }
      }
    }
    models(first: 1) {
      nodes {
        id
        provider
      }
    }
  }
`);

export const RunProgressSub = graphql(`
  subscription RunProgressSub($runId: ID!, $afterSequence: Int) {
    runProgress(runId: $runId, afterSequence: $afterSequence) {
      __typename
      ... on TaskUpdated {
        sequence
        runId
        task {
          id
          status
          output
          attempts
          usage {
            promptTokens
          }
        }
        progress {
          total
          queued
          running
          succeeded
          failed
          cancelled
          fraction
        }
      }
      ... on RunStatusChanged {
        sequence
        runId
        status
        error
        progress {
          total
          succeeded
          fraction
        }
      }
    }
  }
`);

export const RunMetrics = graphql(`
  query RunMetrics($id: ID!, $names: [String!], $groupBy: [MetricGroupBy!]) {
    run(id: $id) {
      id
      metrics(names: $names, groupBy: $groupBy) {
        name
        model {
          id
        }
        promptVersion {
          id
        }
        count
        mean
        stddev
        min
        max
        p50
        p90
        p95
        p99
        ci95Low
        ci95High
      }
    }
  }
`);

export const RunMetricSeries = graphql(`
  query RunMetricSeries($id: ID!, $name: String!, $bucketSeconds: Int) {
    run(id: $id) {
      id
      metricSeries(name: $name, bucketSeconds: $bucketSeconds) {
        start
        count
        mean
        min
        max
      }
    }
  }
`);

export const TaskMetrics = graphql(`
  query TaskMetrics($id: ID!, $first: Int, $after: String) {
    run(id: $id) {
      id
      tasks(first: $first, after: $after) {
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          id
          rowIndex
          repetition
          status
          error
          output
          model {
            id
          }
          promptVersion {
            id
          }
          metrics {
            name
            value
          }
        }
      }
    }
  }
`);

export const CompareRuns = graphql(`
  query CompareRuns($baseline: ID!, $candidate: ID!, $metrics: [String!], $pairMetric: String!, $change: [PairChange!], $first: Int, $after: String) {
    compareRuns(baselineRunId: $baseline, candidateRunId: $candidate, metrics: $metrics) {
      baseline {
        id
      }
      candidate {
        id
      }
      metrics {
        name
        pairedCount
        baselineMean
        candidateMean
        delta
        deltaCi95Low
        deltaCi95High
        pValue
        improved
        regressed
        unchanged
      }
      pairs(metric: $pairMetric, change: $change, first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          rowIndex
          repetition
          delta
          change
          baseline {
            id
          }
          candidate {
            id
          }
        }
      }
    }
  }
`);

export const ExperimentRunMetrics = graphql(`
  query ExperimentRunMetrics($id: ID!, $first: Int) {
    experiment(id: $id) {
      id
      runs(first: $first) {
        nodes {
          id
          metrics(groupBy: [MODEL]) {
            name
            mean
            count
          }
          metricSeries(name: "latency_ms") {
            count
          }
        }
      }
    }
  }
`);

export const WatchMetricPoints = graphql(`
  subscription WatchMetricPoints($runId: ID!, $names: [String!]) {
    metricPoints(runId: $runId, names: $names) {
      runId
      taskId
      modelId
      promptVersionId
      name
      value
      timestamp
    }
  }
`);

export const NarrowRunProgressSub = graphql(`
  subscription NarrowRunProgressSub($runId: ID!) {
    runProgress(runId: $runId) {
      __typename
      ... on TaskUpdated {
        sequence
      }
      ... on RunStatusChanged {
        sequence
        status
      }
    }
  }
`);
