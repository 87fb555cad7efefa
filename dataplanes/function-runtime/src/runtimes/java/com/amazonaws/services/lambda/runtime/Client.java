// The mobile client of aws-lambda-java-core.
package com.amazonaws.services.lambda.runtime;

public interface Client {
    String getInstallationId();
    String getAppTitle();
    String getAppVersionName();
    String getAppVersionCode();
    String getAppPackageName();
}
