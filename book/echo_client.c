#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#define BUF_SIZE 1024
void errorHandling(char* message);

int main(int argc , char* argv[]) {

        if(argc != 3) {
                printf("Usage : %s <IP> <PORT> \n" , argv[0]);
        }

        int sock;
        char message[BUF_SIZE];
        int strLen;
        struct sockaddr_in serv_addr;

        sock = socket(PF_INET , SOCK_STREAM , 0);

        if(sock == -1)
                errorHandling("socket() error!");


        memset(&serv_addr , 0 , sizeof(serv_addr));
        serv_addr.sin_family = AF_INET;
        serv_addr.sin_addr.s_addr = inet_addr(argv[1]);
        serv_addr.sin_port = htons(atoi(argv[2]));

        if(connect(sock , (struct sockaddr*) &serv_addr , sizeof(serv_addr)) == -1) {
                errorHandling("connect () error!");
        } else
                puts("connected .....");

        while(1) {

                fputs("Input message (Q to quit) : " , stdout);
                fgets(message , BUF_SIZE , stdin);

                if(strcmp(message , "q\n") == 0 || strcmp(message , "Q\n") == 0) {
                        break;
                }

                write(sock , message , strlen(message));
                strLen = read(sock , message , BUF_SIZE - 1);
                message[strLen] = 0;
                printf("Message from server : %s \n" , message);
        }

        close(sock);
        return 0;
}


void errorHandling(char* message) {
        fputs(message , stderr);
        fputc('\n' , stderr);
        exit(1);
}
